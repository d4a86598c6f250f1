;; Text format: kos-wasm compiles "module quote" text itself (tools/wasm/wat.c).
;; Valid modules here are also checked byte for byte against wast2json
;; (kos-wasm watcheck) by test/host/wasm.test.ts.

(module
  (type $binop (func (param i32 i32) (result i32)))
  (import "spectest" "print_i32" (func $print (param i32)))
  (import "spectest" "global_i32" (global $g i32))
  (memory (export "mem") (data "\01\02\03\04" "\u{2603}"))
  (table funcref (elem $add $sub))
  (global $counter (mut i64) (i64.const -1_000))
  (func $add (type $binop) (i32.add (local.get 0) (local.get 1)))
  (func $sub (param $a i32) (param $b i32) (result i32) local.get $a local.get $b i32.sub)
  (func (export "apply") (param $op i32) (param i32 i32) (result i32)
    (call_indirect (type $binop) (local.get 1) (local.get 2) (local.get $op)))
  (func (export "labels") (param $n i32) (result i32) (local $acc i32)
    block $out
      loop $again
        local.get $n
        i32.eqz
        br_if $out
        (local.set $acc (i32.add (local.get $acc) (local.get $n)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        br $again
      end $again
    end $out
    local.get $acc)
  (func (export "pick") (param i32) (result f64)
    (if (result f64) (local.get 0) (then (f64.const 0x1.8p1)) (else (f64.const -inf))))
  (func (export "bytes") (result i32) (i32.load offset=1 align=1 (i32.const 0)))
  (func (export "imported") (result i32) (global.get $g))
  (func (export "counter") (result i64)
    (global.set $counter (i64.add (global.get $counter) (i64.const 1))) (global.get $counter))
)

(assert_return (invoke "apply" (i32.const 0) (i32.const 7) (i32.const 5)) (i32.const 12))
(assert_return (invoke "apply" (i32.const 1) (i32.const 7) (i32.const 5)) (i32.const 2))
(assert_return (invoke "labels" (i32.const 10)) (i32.const 55))
(assert_return (invoke "pick" (i32.const 1)) (f64.const 3))
(assert_return (invoke "pick" (i32.const 0)) (f64.const -inf))
(assert_return (invoke "bytes") (i32.const 0xe2040302))
(assert_return (invoke "imported") (i32.const 666))
(assert_return (invoke "counter") (i64.const -999))

(assert_malformed (module quote "(func (i32.const 0x1_0000_0000) drop)") "constant out of range")
(assert_malformed (module quote "(func (f32.const 1e39) drop)") "constant out of range")
(assert_malformed (module quote "(func (i32.const 1__0) drop)") "unknown operator")
(assert_malformed (module quote "(func (i32.add0))") "unknown operator")
(assert_malformed (module quote "(func block $a end $b)") "mismatching label")
(assert_malformed (module quote "(memory 1) (func (drop (i32.load align=3 (i32.const 0))))") "alignment")
(assert_malformed (module quote "(func) (import \"m\" \"f\" (func))") "import after function")
(assert_malformed (module quote "(func (result i32) (param i32) (i32.const 0))") "result before parameter")
(assert_malformed (module quote "(type $t (func)) (func (type $t) (param i32))") "inline function type")
(assert_malformed (module quote "(func (export \"\\ff\"))") "invalid UTF-8 encoding")
(assert_malformed (module quote "(start 0) (start 0) (func)") "multiple start sections")
(assert_malformed (module quote "(func (nop)") "unexpected token")
