;; Deliberately wrong expectations: the harness must report each one as a
;; failure with its line (test/host/wasm.test.ts checks the lines).
(module
  (func (export "one") (result i32) (i32.const 1))
  (func (export "nan") (result f32) (f32.const nan:0x200000))
  (func (export "ok") (result i32) (i32.const 0)))
(assert_return (invoke "one") (i32.const 2))
(assert_trap (invoke "ok") "unreachable")
(assert_return (invoke "nan") (f32.const nan:canonical))
(assert_invalid (module (func (result i32) (i32.const 0))) "type mismatch")
(assert_return (invoke "one") (i32.const 1))
(assert_malformed (module quote "(func (nop))") "unexpected token")
