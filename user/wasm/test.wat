;; The module from the original report: add, factorial and a magic number,
;; plus i64 variants and a function without a result (SYS_WASM_EXEC's ABI).
(module
  (memory 1)
  (func (export "add") (param i32 i32) (result i32)
    (i32.add (local.get 0) (local.get 1)))
  ;; Recursive on purpose: exercises calls, not just a loop.
  (func $factorial (export "factorial") (param i32) (result i32)
    (if (result i32) (i32.le_s (local.get 0) (i32.const 1))
      (then (i32.const 1))
      (else (i32.mul (local.get 0) (call $factorial (i32.sub (local.get 0) (i32.const 1)))))))
  (func (export "get_magic_number") (result i32)
    (i32.const 42))
  (func (export "add64") (param i64 i64) (result i64)
    (i64.add (local.get 0) (local.get 1)))
  (func (export "factorial64") (param $n i64) (result i64)
    (local $acc i64)
    (local.set $acc (i64.const 1))
    (block $done
      (loop $next
        (br_if $done (i64.le_s (local.get $n) (i64.const 1)))
        (local.set $acc (i64.mul (local.get $acc) (local.get $n)))
        (local.set $n (i64.sub (local.get $n) (i64.const 1)))
        (br $next)))
    (local.get $acc))
  ;; State kept between calls: the instance lives in its slot.
  (func (export "bump") (result i32)
    (i32.store (i32.const 0) (i32.add (i32.load (i32.const 0)) (i32.const 1)))
    (i32.load (i32.const 0)))
  (func (export "nothing"))
  ;; Floats cross the ABI as raw bits; the kernel runs them with its own MXCSR.
  (func (export "div") (param f64 f64) (result f64)
    (f64.div (local.get 0) (local.get 1))))
