;; Refused at load: the start function traps while the module is instantiated.
(module
  (func $start (unreachable))
  (start $start)
  (func (export "main") (result i32) (i32.const 0)))
