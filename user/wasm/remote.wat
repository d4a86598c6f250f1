;; The module the remote-WebAssembly tests send to another peer
;; (/kos/wasm/1.0.0, user/p2p/core/wasmrun.c): values both ways, a trap, a
;; runaway loop for the receiver's fuel limit, and 4 pages of memory for its
;; page limit (a receiver allowing fewer refuses the module).
(module
  (memory 4)
  (func (export "add") (param i32 i32) (result i32)
    (i32.add (local.get 0) (local.get 1)))
  (func (export "mul64") (param i64 i64) (result i64)
    (i64.mul (local.get 0) (local.get 1)))
  (func (export "neg") (param i32) (result i32)
    (i32.sub (i32.const 0) (local.get 0)))
  (func (export "boom") (result i32)
    (unreachable))
  (func (export "spin")
    (loop $forever (br $forever)))
  ;; memory.grow by n pages: the old size, or -1 past the receiver's limit.
  (func (export "grow") (param i32) (result i32)
    (memory.grow (local.get 0)))
  (func (export "nothing")))
