;; Validation: well-formed but ill-typed modules are refused with a reason.

(assert_invalid (module (func (result i32) (i64.const 1))) "type mismatch")
(assert_invalid (module (func (result i32))) "type mismatch")
(assert_invalid (module (func (i32.add (i32.const 1) (f32.const 1)) (drop))) "type mismatch")
(assert_invalid (module (func (drop))) "type mismatch")
(assert_invalid (module (func (block (br 2)))) "unknown label")
(assert_invalid (module (func (block (result i32) (br 0)))) "type mismatch")
(assert_invalid (module (func (if (result i32) (i32.const 1) (then (i32.const 1))))) "type mismatch")
(assert_invalid (module (func (local.get 0) (drop))) "unknown local")
(assert_invalid (module (global i32 (i32.const 0)) (func (global.set 0 (i32.const 1)))) "global is immutable")
(assert_invalid (module (func (call 5))) "unknown function")
(assert_invalid (module (func (drop (i32.load (i32.const 0))))) "unknown memory")
(assert_invalid (module (memory 1) (func (drop (i32.load align=8 (i32.const 0))))) "alignment must not be larger than natural")
(assert_invalid (module (type (func)) (func (call_indirect (type 0) (i32.const 0)))) "unknown table")
(assert_invalid (module (func $f (param i32)) (start $f)) "start function")
(assert_invalid (module (func) (export "a" (func 0)) (export "a" (func 0))) "duplicate export name")
(assert_invalid (module (memory 2 1)) "size minimum must not be greater than maximum")
(assert_invalid (module (memory 65537)) "memory size must be at most 65536 pages (4GiB)")
(assert_invalid (module (global i32 (i64.const 0))) "type mismatch")
(assert_invalid (module (global (mut i32) (i32.const 0)) (global i32 (global.get 0))) "unknown global")
(assert_invalid (module (table 1 funcref) (elem (i32.const 0) 3)) "unknown function")
(assert_invalid (module (func (select (i32.const 1) (i64.const 1) (i32.const 0)) (drop))) "type mismatch")

;; after an unconditional branch the stack is polymorphic: this is valid
(module (func (result i32) (block (result i32) (br 0 (i32.const 1)) (i32.add))))
;; ... but still typed when it has operands
(assert_invalid (module (func (result i32) (unreachable) (i64.const 1) (i32.add))) "type mismatch")
(assert_invalid (module (func (br_table 0 1 (i32.const 0)))) "unknown label")
(assert_invalid
  (module (func (result i32) (block (result f32) (block (result i32) (br_table 0 1 (i32.const 1) (i32.const 0)))) (drop) (i32.const 0)))
  "type mismatch")
