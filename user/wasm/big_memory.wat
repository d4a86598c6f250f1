;; Refused at load: 17 initial pages is over the per-module limit (16).
(module
  (memory 17)
  (func (export "main") (result i32) (i32.const 0)))
