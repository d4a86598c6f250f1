#pragma once
/* Bits of the x86-64 control and flag registers the kernel sets or tests
 * (Intel SDM vol. 3, 2.3-2.5). Plain integers: usable from assembly. */

/* RFLAGS */
#define RFLAGS_RESERVED1 (1 << 1)   /* always 1 */
#define RFLAGS_IF        (1 << 9)   /* interrupts enabled */
#define RFLAGS_TF        (1 << 8)   /* single-step trap */
#define RFLAGS_DF        (1 << 10)  /* string direction */
/* What ring 3 may set freely: CF PF AF ZF SF DF OF, AC (18), ID (21). */
#define RFLAGS_USER_MASK 0x240cd5

/* CR0 */
#define CR0_PE (1 << 0)
#define CR0_MP (1 << 1)
#define CR0_EM (1 << 2)
#define CR0_WP (1 << 16)
#define CR0_PG (1 << 31)

/* CR4 */
#define CR4_PAE        (1 << 5)
#define CR4_OSFXSR     (1 << 9)
#define CR4_OSXMMEXCPT (1 << 10)
#define CR4_SMEP       (1 << 20)
#define CR4_SMAP       (1 << 21)

/* EFER (MSR 0xC0000080) */
#define MSR_EFER  0xC0000080
#define EFER_SCE  (1 << 0)   /* syscall/sysret enabled */
#define EFER_LME  (1 << 8)
#define EFER_NXE  (1 << 11)

/* The syscall instruction's MSRs (SDM vol. 3, 5.8.8) */
#define MSR_STAR  0xC0000081  /* [47:32] kernel cs (ss = +8), [63:48] sysret base (ss = +8, cs = +16) */
#define MSR_LSTAR 0xC0000082  /* 64-bit entry point */
#define MSR_FMASK 0xC0000084  /* rflags bits cleared on entry */
#define RFLAGS_AC        (1 << 18)

/* CPUID leaf 7, EBX */
#define CPUID7_EBX_SMEP (1 << 7)
#define CPUID7_EBX_SMAP (1 << 20)
/* CPUID leaf 1, ECX */
#define CPUID1_ECX_RDRAND (1 << 30)
