;; Table-driven CRC-32 (IEEE 802.3, reflected 0xEDB88320) over 1 MiB of
;; pseudo-random bytes, 4 passes: loads, shifts and xors.
(module
  (memory 20)
  (func $mktable (local $n i32) (local $c i32) (local $k i32)
    (loop $outer
      (local.set $c (local.get $n))
      (local.set $k (i32.const 8))
      (loop $inner
        (local.set $c
          (if (result i32) (i32.and (local.get $c) (i32.const 1))
            (then (i32.xor (i32.const 0xEDB88320) (i32.shr_u (local.get $c) (i32.const 1))))
            (else (i32.shr_u (local.get $c) (i32.const 1)))))
        (local.set $k (i32.sub (local.get $k) (i32.const 1)))
        (br_if $inner (local.get $k)))
      (i32.store (i32.shl (local.get $n) (i32.const 2)) (local.get $c))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br_if $outer (i32.lt_u (local.get $n) (i32.const 256)))))
  (func $fill (param $len i32) (local $i i32) (local $x i32)
    (local.set $x (i32.const 12345))
    (loop $l
      (local.set $x (i32.add (i32.mul (local.get $x) (i32.const 1103515245)) (i32.const 12345)))
      (i32.store8 (i32.add (i32.const 4096) (local.get $i)) (i32.shr_u (local.get $x) (i32.const 16)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $len)))))
  (func $crc (param $p i32) (param $len i32) (result i32) (local $c i32) (local $end i32)
    (local.set $c (i32.const -1))
    (local.set $end (i32.add (local.get $p) (local.get $len)))
    (loop $l
      (local.set $c
        (i32.xor
          (i32.load (i32.shl (i32.and (i32.xor (local.get $c) (i32.load8_u (local.get $p))) (i32.const 255)) (i32.const 2)))
          (i32.shr_u (local.get $c) (i32.const 8))))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $p) (local.get $end))))
    (i32.xor (local.get $c) (i32.const -1)))
  (func (export "run") (result i32) (local $k i32) (local $r i32)
    (call $mktable)
    (call $fill (i32.const 1048576))
    (loop $l
      (local.set $r (i32.add (local.get $r) (call $crc (i32.const 4096) (i32.const 1048576))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $k) (i32.const 4))))
    (local.get $r)))
