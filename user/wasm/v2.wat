;; WebAssembly 2.0 inside the kernel (wasm_test basic): multi-value, block
;; parameters, sign extension, saturating truncation, bulk memory, reference
;; types with two tables. Each export returns one number.
(module
  (type $ri (func (result i32)))
  (memory 1)
  (data $d "kos-2.0")
  (table $t 4 funcref)
  (table $e 2 externref)
  (elem $fs func $seven $eight)
  (func $seven (result i32) (i32.const 7))
  (func $eight (result i32) (i32.const 8))
  (func $divmod (param i32 i32) (result i32 i32)
    (i32.div_u (local.get 0) (local.get 1))
    (i32.rem_u (local.get 0) (local.get 1)))
  ;; 47 / 5 = 9 rem 2: 100 * 9 + 2
  (func (export "multi") (result i32) (local $r i32)
    i32.const 47
    i32.const 5
    call $divmod
    local.set $r
    i32.const 100
    i32.mul
    local.get $r
    i32.add)
  ;; a block taking its operand from the stack: 40 + 2
  (func (export "block_param") (result i32)
    i32.const 40
    (block (param i32) (result i32)
      i32.const 2
      i32.add))
  (func (export "extend8") (result i32) (i32.extend8_s (i32.const 0x80)))
  (func (export "extend32") (result i64) (i64.extend32_s (i64.const 0x80000000)))
  (func (export "trunc_sat") (result i32) (i32.trunc_sat_f64_s (f64.const 1e20)))
  ;; data -> 100, copy to 200, fill 100 with 0, drop: 'k' (107) + 0
  (func (export "bulk") (result i32)
    (memory.init $d (i32.const 100) (i32.const 0) (i32.const 7))
    (memory.copy (i32.const 200) (i32.const 100) (i32.const 7))
    (memory.fill (i32.const 100) (i32.const 0) (i32.const 7))
    (data.drop $d)
    (i32.add (i32.load8_u (i32.const 200)) (i32.load8_u (i32.const 100))))
  ;; after bulk dropped the segment, one byte of it is out of bounds
  (func (export "init_dropped") (memory.init $d (i32.const 0) (i32.const 0) (i32.const 1)))
  ;; 1000 * old size (4) + 100 * size (4) + is_null (1) + 7 + 8
  (func (export "refs") (result i32) (local $old i32)
    (table.init $t $fs (i32.const 1) (i32.const 0) (i32.const 2))
    (table.set $e (i32.const 0) (ref.null extern))
    (local.set $old (table.grow $t (ref.func $seven) (i32.const 3)))
    (i32.add
      (i32.add (i32.mul (local.get $old) (i32.const 1000)) (i32.mul (table.size $t) (i32.const 100)))
      (i32.add
        (ref.is_null (table.get $e (i32.const 0)))
        (i32.add (call_indirect $t (type $ri) (i32.const 1)) (call_indirect $t (type $ri) (i32.const 2))))))
  ;; past the end of the table
  (func (export "table_oob") (result i32) (ref.is_null (table.get $e (i32.const 2)))))
