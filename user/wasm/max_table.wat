;; Loads: a table of exactly the per-module limit (65536 entries).
(module
  (table 65536 funcref)
  (func (export "main") (result i32) (i32.const 0)))
