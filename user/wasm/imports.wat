;; Host imports: env.log and env.print_i32 reach the console; a log range
;; outside linear memory traps instead of reading kernel memory.
(module
  (import "env" "log" (func $log (param i32 i32)))
  (import "env" "print_i32" (func $print_i32 (param i32)))
  (memory 1)
  (data (i32.const 100) "[wasm] hello from env.log\n")
  (data (i32.const 65532) "end\n")
  (func (export "say_hello")
    (call $log (i32.const 100) (i32.const 26)))
  (func (export "print") (param i32)
    (call $print_i32 (local.get 0)))
  (func (export "log_last_bytes")
    (call $log (i32.const 65532) (i32.const 4)))
  (func (export "log_out_of_bounds")
    (call $log (i32.const 65532) (i32.const 5)))
  ;; A million log lines: the console budget per exec ends it with a host trap.
  (func (export "log_flood")
    (local $i i32)
    (loop $again
      (call $log (i32.const 100) (i32.const 26))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $i) (i32.const 1000000)))))
  (func (export "log_huge_length")
    (call $log (i32.const 0) (i32.const -1))))
