;; Refused at load: 10 million table entries (80 MiB of kernel heap) is over
;; the per-module limit (65536).
(module
  (table 10000000 funcref)
  (func (export "main") (result i32) (i32.const 0)))
