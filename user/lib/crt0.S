/* Program entry: the kernel passes argc in rdi and argv in rsi (and the
 * System V layout on the stack). Call main, then exit with its result. */
    .section .text.start, "ax"
    .global _start
_start:
    xor %ebp, %ebp
    and $-16, %rsp
    /* This image's stack-protector canary, before any protected code; keep argc/argv. */
    push %rdi
    push %rsi
    call __stack_guard_init
    pop %rsi
    pop %rdi
    call main
    mov %eax, %edi
    call exit
1:  jmp 1b
