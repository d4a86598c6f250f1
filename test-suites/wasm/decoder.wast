;; Binary decoder: malformed modules are refused before anything runs.

;; a minimal valid module
(module binary "\00asm" "\01\00\00\00")

;; bad magic and version
(assert_malformed (module binary "\00asn" "\01\00\00\00") "magic header not detected")
(assert_malformed (module binary "\00asm" "\02\00\00\00") "unknown binary version")
(assert_malformed (module binary "\00asm") "unexpected end")

;; LEB128: a u32 longer than 5 bytes, and unused bits set in the 5th byte
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\05\08\01"                  ;; memory section, 1 memory
    "\00\82\80\80\80\80\00")     ;; min = 2 encoded in 6 bytes
  "integer representation too long")
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\05\07\01"
    "\00\82\80\80\80\70")        ;; 5th byte has bits above 32
  "integer too large")
;; signed LEB: i32.const whose 5th byte is not a sign extension
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\05\01\60\00\01\7f"      ;; type () -> i32
    "\03\02\01\00"
    "\0a\0a\01\08\00\41\80\80\80\80\70\0b")
  "integer too large")

;; sections out of order (function section after code section)
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\04\01\60\00\00"
    "\0a\04\01\02\00\0b"
    "\03\02\01\00")
  "unexpected content after last section")

;; unknown section id
(assert_malformed (module binary "\00asm" "\01\00\00\00" "\0c\01\00") "malformed section id")

;; section size larger than its content
(assert_malformed
  (module binary "\00asm" "\01\00\00\00" "\01\05\01\60\00\00")
  "unexpected end")
;; section size smaller than its content
(assert_malformed
  (module binary "\00asm" "\01\00\00\00" "\01\03\01\60\00\00")
  "section size mismatch")

;; functions declared without bodies
(assert_malformed
  (module binary "\00asm" "\01\00\00\00" "\01\04\01\60\00\00" "\03\02\01\00")
  "function and code section have inconsistent lengths")

;; an opcode that does not exist
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\04\01\60\00\00" "\03\02\01\00"
    "\0a\05\01\03\00\ff\0b")
  "illegal opcode")

;; memory.size with a non-zero reserved byte
(assert_malformed
  (module binary "\00asm" "\01\00\00\00"
    "\01\05\01\60\00\01\7f" "\03\02\01\00" "\05\03\01\00\01"
    "\0a\06\01\04\00\3f\01\0b")
  "zero flag expected")

;; names must be UTF-8
(assert_malformed
  (module binary "\00asm" "\01\00\00\00" "\00\03\02\c0\80")
  "malformed UTF-8 encoding")

;; a custom section anywhere is skipped
(module binary "\00asm" "\01\00\00\00"
  "\00\05\04name"
  "\01\04\01\60\00\00"
  "\00\03\02hi"
  "\03\02\01\00" "\0a\04\01\02\00\0b")
