;; The smallest kos WebAssembly program: one line through env.log.
(module
  (import "env" "log" (func $log (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "Hello from WebAssembly!\n")
  (func (export "main") (result i32)
    (call $log (i32.const 16) (i32.const 24))
    (i32.const 0)))
