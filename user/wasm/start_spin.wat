;; Refused at load: the start function loops forever; the step limit ends it.
(module
  (func $start (loop $forever (br $forever)))
  (start $start)
  (func (export "main") (result i32) (i32.const 0)))
