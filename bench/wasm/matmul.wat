;; 160x160 f64 matrix multiply, twice: float arithmetic and strided loads.
;; A at 0, B at 204800, C at 409600 (160*160*8 bytes each).
(module
  (memory 10)
  (func $init (local $i i32) (local $j i32) (local $idx i32)
    (loop $li
      (local.set $j (i32.const 0))
      (loop $lj
        (local.set $idx (i32.shl (i32.add (i32.mul (local.get $i) (i32.const 160)) (local.get $j)) (i32.const 3)))
        (f64.store (local.get $idx)
          (f64.mul (f64.convert_i32_u (i32.rem_u (i32.add (local.get $i) (local.get $j)) (i32.const 7))) (f64.const 0.5)))
        (f64.store offset=204800 (local.get $idx)
          (f64.sub (f64.convert_i32_u (i32.rem_u (i32.mul (local.get $i) (local.get $j)) (i32.const 5))) (f64.const 1)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br_if $lj (i32.lt_u (local.get $j) (i32.const 160))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $li (i32.lt_u (local.get $i) (i32.const 160)))))
  (func $mul (local $i i32) (local $j i32) (local $k i32) (local $sum f64)
    (loop $li
      (local.set $j (i32.const 0))
      (loop $lj
        (local.set $sum (f64.const 0))
        (local.set $k (i32.const 0))
        (loop $lk
          (local.set $sum
            (f64.add (local.get $sum)
              (f64.mul
                (f64.load (i32.shl (i32.add (i32.mul (local.get $i) (i32.const 160)) (local.get $k)) (i32.const 3)))
                (f64.load offset=204800 (i32.shl (i32.add (i32.mul (local.get $k) (i32.const 160)) (local.get $j)) (i32.const 3))))))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br_if $lk (i32.lt_u (local.get $k) (i32.const 160))))
        (f64.store offset=409600 (i32.shl (i32.add (i32.mul (local.get $i) (i32.const 160)) (local.get $j)) (i32.const 3)) (local.get $sum))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br_if $lj (i32.lt_u (local.get $j) (i32.const 160))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $li (i32.lt_u (local.get $i) (i32.const 160)))))
  ;; checksum: twice the sum of C (every entry is a multiple of 0.5)
  (func (export "run") (result i64) (local $r i32) (local $i i32) (local $s f64)
    (call $init)
    (loop $l
      (call $mul)
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $r) (i32.const 2))))
    (loop $l2
      (local.set $s (f64.add (local.get $s) (f64.load offset=409600 (i32.shl (local.get $i) (i32.const 3)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l2 (i32.lt_u (local.get $i) (i32.const 25600))))
    (i64.trunc_f64_s (f64.mul (local.get $s) (f64.const 2)))))
