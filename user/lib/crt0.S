/* Program entry: the kernel passes argc in rdi and argv in rsi (and the
 * System V layout on the stack). Call main, then exit with its result. */
    .section .text.start, "ax"
    .global _start
_start:
    xor %ebp, %ebp
    and $-16, %rsp
    call main
    mov %eax, %edi
    call exit
1:  jmp 1b
