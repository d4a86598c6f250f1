/* Linux program entry: argc at (%rsp), argv after it (System V); kos's
 * user/lib/crt0.S gets them in rdi and rsi. */
    .text
    .global _start
_start:
    xor %ebp, %ebp
    mov (%rsp), %rdi
    lea 8(%rsp), %rsi
    and $-16, %rsp
    call main
    mov %eax, %edi
    call exit
1:  jmp 1b
