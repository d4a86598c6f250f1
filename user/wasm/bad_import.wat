;; Valid text, refused at load: kos offers no env.nope.
(module
  (import "env" "nope" (func (param i32)))
  (func (export "main") (result i32) (i32.const 0)))
