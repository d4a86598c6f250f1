;; Sieve of Eratosthenes over 1 MB of linear memory, 3 times: byte loads/stores and tight loops.
(module
  (memory 16)
  (func $sieve (param $n i32) (result i32) (local $i i32) (local $j i32) (local $count i32)
    (block $b (loop $l
      (br_if $b (i32.ge_u (local.get $i) (local.get $n)))
      (i32.store8 (local.get $i) (i32.const 1))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (local.set $i (i32.const 2))
    (block $b (loop $l
      (br_if $b (i32.gt_u (i32.mul (local.get $i) (local.get $i)) (local.get $n)))
      (if (i32.load8_u (local.get $i)) (then
        (local.set $j (i32.mul (local.get $i) (local.get $i)))
        (block $b2 (loop $l2
          (br_if $b2 (i32.ge_u (local.get $j) (local.get $n)))
          (i32.store8 (local.get $j) (i32.const 0))
          (local.set $j (i32.add (local.get $j) (local.get $i)))
          (br $l2)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (local.set $i (i32.const 2))
    (block $b (loop $l
      (br_if $b (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $count (i32.add (local.get $count) (i32.load8_u (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (local.get $count))
  (func (export "run") (result i32) (local $r i32) (local $k i32)
    (loop $l
      (local.set $r (call $sieve (i32.const 1000000)))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $k) (i32.const 3))))
    (local.get $r)))
