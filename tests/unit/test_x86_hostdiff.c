/* test_x86_hostdiff.c: differential tests of the x86 core against the host
 * CPU (x86-64 hosts only; skipped elsewhere). Each case is one instruction
 * in a snippet assembled into this file: the host runs it natively (inline
 * assembly, here only) and the model runs the same bytes in 64-bit mode;
 * random operands, flags and MXCSR (rounding mode, DAZ, FTZ) go through
 * both and the results are compared bit for bit. Flags an instruction
 * leaves undefined (Intel SDM vol. 2) are masked out. HOSTDIFF_SEED and
 * HOSTDIFF_ITERS vary the run. RCPPS/RSQRTPS are approximations that differ
 * between processors and are not compared. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "models/cpu/x86/x86.h"
#include "tests/lib/x86_test_machine.h"

#if defined(__x86_64__)

struct hd_regs {
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, rflags; /* 0 .. 48 */
    uint8_t xmm0[16], xmm1[16];                    /* 56, 72 */
    uint32_t mxcsr;                                /* 88 */
    uint32_t pad;
};

/* operand kinds */
enum {
    K_PLAIN, K_SHIFT, K_ROT, K_SHXD16, K_SHXD, K_DIV, K_IDIV, K_BSF, K_SSE_D, K_SSE_S,
    K_SSE_I, K_SSE_SHIFT,
};

#define F_ALL 0x8d5u
#define F_LOGIC 0x8c5u
#define F_MUL 0x801u
#define F_NONE 0u
#define F_ZF 0x40u
#define F_CF 0x1u

/* name, AT&T instruction(s), defined flags, operand kind, size in bytes (shift masks) */
#define HD_LIST(X) \
    X(add64, "addq %rbx, %rax", F_ALL, K_PLAIN, 8) \
    X(add32, "addl %ebx, %eax", F_ALL, K_PLAIN, 4) \
    X(add16, "addw %bx, %ax", F_ALL, K_PLAIN, 2) \
    X(add8, "addb %bl, %al", F_ALL, K_PLAIN, 1) \
    X(adc64, "adcq %rbx, %rax", F_ALL, K_PLAIN, 8) \
    X(adc8, "adcb %bl, %ah", F_ALL, K_PLAIN, 1) \
    X(sbb32, "sbbl %ebx, %eax", F_ALL, K_PLAIN, 4) \
    X(sbb16, "sbbw %bx, %ax", F_ALL, K_PLAIN, 2) \
    X(sub64, "subq %rbx, %rax", F_ALL, K_PLAIN, 8) \
    X(sub8, "subb %bl, %sil", F_ALL, K_PLAIN, 1) \
    X(cmp32, "cmpl %ebx, %eax", F_ALL, K_PLAIN, 4) \
    X(cmp16, "cmpw $0x7ff0, %ax", F_ALL, K_PLAIN, 2) \
    X(and64, "andq %rbx, %rax", F_LOGIC, K_PLAIN, 8) \
    X(or32, "orl %ebx, %eax", F_LOGIC, K_PLAIN, 4) \
    X(xor16, "xorw %bx, %ax", F_LOGIC, K_PLAIN, 2) \
    X(test8, "testb %bl, %al", F_LOGIC, K_PLAIN, 1) \
    X(and64i, "andq $-0x80, %rax", F_LOGIC, K_PLAIN, 8) \
    X(inc64, "incq %rax", F_ALL, K_PLAIN, 8) \
    X(inc8, "incb %al", F_ALL, K_PLAIN, 1) \
    X(dec32, "decl %eax", F_ALL, K_PLAIN, 4) \
    X(dec16, "decw %ax", F_ALL, K_PLAIN, 2) \
    X(add8_inc8, "addb %bl, %al\nincb %cl", F_ALL, K_PLAIN, 1) \
    X(sub64_dec64, "subq %rbx, %rax\ndecq %rcx", F_ALL, K_PLAIN, 8) \
    X(add32_inc16, "addl %ebx, %eax\nincw %cx", F_ALL, K_PLAIN, 4) \
    X(sub16_dec32, "subw %bx, %ax\ndecl %ecx", F_ALL, K_PLAIN, 2) \
    X(neg64, "negq %rax", F_ALL, K_PLAIN, 8) \
    X(neg16, "negw %ax", F_ALL, K_PLAIN, 2) \
    X(not32, "notl %eax", F_ALL, K_PLAIN, 4) \
    X(shl64, "shlq %cl, %rax", F_ALL, K_SHIFT, 8) \
    X(shl32, "shll %cl, %eax", F_ALL, K_SHIFT, 4) \
    X(shl16, "shlw %cl, %ax", F_ALL, K_SHIFT, 2) \
    X(shl8, "shlb %cl, %al", F_ALL, K_SHIFT, 1) \
    X(shr64, "shrq %cl, %rax", F_ALL, K_SHIFT, 8) \
    X(shr16, "shrw %cl, %ax", F_ALL, K_SHIFT, 2) \
    X(shr8, "shrb %cl, %al", F_ALL, K_SHIFT, 1) \
    X(sar64, "sarq %cl, %rax", F_ALL, K_SHIFT, 8) \
    X(sar32, "sarl %cl, %eax", F_ALL, K_SHIFT, 4) \
    X(sar8, "sarb %cl, %al", F_ALL, K_SHIFT, 1) \
    X(rol64, "rolq %cl, %rax", F_CF | 0x800u, K_ROT, 8) \
    X(rol8, "rolb %cl, %al", F_CF | 0x800u, K_ROT, 1) \
    X(ror32, "rorl %cl, %eax", F_CF | 0x800u, K_ROT, 4) \
    X(ror16, "rorw %cl, %ax", F_CF | 0x800u, K_ROT, 2) \
    X(rcl64, "rclq %cl, %rax", F_CF | 0x800u, K_ROT, 8) \
    X(rcl16, "rclw %cl, %ax", F_CF | 0x800u, K_ROT, 2) \
    X(rcl8, "rclb %cl, %al", F_CF | 0x800u, K_ROT, 1) \
    X(rcr32, "rcrl %cl, %eax", F_CF | 0x800u, K_ROT, 4) \
    X(rcr8, "rcrb %cl, %al", F_CF | 0x800u, K_ROT, 1) \
    X(shld64, "shldq %cl, %rbx, %rax", F_ALL, K_SHXD, 8) \
    X(shrd32, "shrdl %cl, %ebx, %eax", F_ALL, K_SHXD, 4) \
    X(shld16, "shldw %cl, %bx, %ax", F_ALL, K_SHXD16, 2) \
    X(shrd16, "shrdw %cl, %bx, %ax", F_ALL, K_SHXD16, 2) \
    X(mul64, "mulq %rbx", F_MUL, K_PLAIN, 8) \
    X(mul8, "mulb %bl", F_MUL, K_PLAIN, 1) \
    X(imul1_32, "imull %ebx", F_MUL, K_PLAIN, 4) \
    X(imul64, "imulq %rbx, %rax", F_MUL, K_PLAIN, 8) \
    X(imul16i, "imulw $-300, %bx, %ax", F_MUL, K_PLAIN, 2) \
    X(div64, "divq %rbx", F_NONE, K_DIV, 8) \
    X(div32, "divl %ebx", F_NONE, K_DIV, 4) \
    X(div8, "divb %bl", F_NONE, K_DIV, 1) \
    X(idiv64, "idivq %rbx", F_NONE, K_IDIV, 8) \
    X(idiv16, "idivw %bx", F_NONE, K_IDIV, 2) \
    X(bsf64, "bsfq %rbx, %rax", F_ZF, K_BSF, 8) \
    X(bsr32, "bsrl %ebx, %eax", F_ZF, K_BSF, 4) \
    X(bt64, "btq %rbx, %rax", F_CF, K_PLAIN, 8) \
    X(bts32, "btsl %ebx, %eax", F_CF, K_PLAIN, 4) \
    X(btr16, "btrw %bx, %ax", F_CF, K_PLAIN, 2) \
    X(btc64i, "btcq $45, %rax", F_CF, K_PLAIN, 8) \
    X(bswap64, "bswapq %rax", F_ALL, K_PLAIN, 8) \
    X(bswap32, "bswapl %eax", F_ALL, K_PLAIN, 4) \
    X(xadd32, "xaddl %ebx, %eax", F_ALL, K_PLAIN, 4) \
    X(cmpxchg64, "cmpxchgq %rbx, %rdx", F_ALL, K_PLAIN, 8) \
    X(cmovl64, "cmovlq %rbx, %rax", F_ALL, K_PLAIN, 8) \
    X(cmova32, "cmoval %ebx, %eax", F_ALL, K_PLAIN, 4) \
    X(setbe, "setbe %al", F_ALL, K_PLAIN, 1) \
    X(setg, "setg %bl", F_ALL, K_PLAIN, 1) \
    X(cmp64_setl, "cmpq %rbx, %rax\nsetl %dl", F_ALL, K_PLAIN, 8) \
    X(sub32_setbe, "subl %ebx, %eax\nsetbe %dl", F_ALL, K_PLAIN, 4) \
    X(cmp8_setg, "cmpb %bl, %al\nsetg %dl", F_ALL, K_PLAIN, 1) \
    X(add16_seto, "addw %bx, %ax\nseto %dl", F_ALL, K_PLAIN, 2) \
    X(cmp32_setnp, "cmpl %ebx, %eax\nsetnp %dl", F_ALL, K_PLAIN, 4) \
    X(sub64_sets, "subq %rbx, %rax\nsets %dl", F_ALL, K_PLAIN, 8) \
    X(and32_setle, "andl %ebx, %eax\nsetle %dl", F_ALL, K_PLAIN, 4) \
    X(add8_setae, "addb %bl, %al\nsetae %dl", F_ALL, K_PLAIN, 1) \
    X(cmp32_inc_setl, "cmpl %ebx, %eax\nincl %ecx\nsetl %dl", F_ALL, K_PLAIN, 4) \
    X(sub64_cmovbe, "subq %rbx, %rax\ncmovbeq %rbx, %rdx", F_ALL, K_PLAIN, 8) \
    X(shl32_setbe, "shll %cl, %eax\nsetbe %dl", F_ALL, K_SHIFT, 4) \
    X(sar64_sets, "sarq %cl, %rax\nsets %dl\nsetp %bl", F_ALL, K_SHIFT, 8) \
    X(shr8_adc, "shrb %cl, %al\nadcq %rbx, %rdx", F_ALL, K_SHIFT, 1) \
    X(movsx, "movsbq %bl, %rax", F_ALL, K_PLAIN, 8) \
    X(movsxd, "movslq %ebx, %rax", F_ALL, K_PLAIN, 8) \
    X(movzx, "movzwl %bx, %eax", F_ALL, K_PLAIN, 4) \
    X(cqo, "cqto", F_ALL, K_PLAIN, 8) \
    X(cdqe, "cltq", F_ALL, K_PLAIN, 8) \
    X(lahf, "lahf", F_ALL, K_PLAIN, 1) \
    X(sahf, "sahf", F_ALL, K_PLAIN, 1) \
    X(addsd, "addsd %xmm1, %xmm0", F_ALL, K_SSE_D, 8) \
    X(subsd, "subsd %xmm1, %xmm0", F_ALL, K_SSE_D, 8) \
    X(mulsd, "mulsd %xmm1, %xmm0", F_ALL, K_SSE_D, 8) \
    X(divsd, "divsd %xmm1, %xmm0", F_ALL, K_SSE_D, 8) \
    X(sqrtsd, "sqrtsd %xmm1, %xmm0", F_ALL, K_SSE_D, 8) \
    X(minsd, "minsd %xmm1, %xmm0", F_ALL, K_SSE_D, 8) \
    X(maxsd, "maxsd %xmm1, %xmm0", F_ALL, K_SSE_D, 8) \
    X(addpd, "addpd %xmm1, %xmm0", F_ALL, K_SSE_D, 8) \
    X(mulpd, "mulpd %xmm1, %xmm0", F_ALL, K_SSE_D, 8) \
    X(divpd, "divpd %xmm1, %xmm0", F_ALL, K_SSE_D, 8) \
    X(sqrtpd, "sqrtpd %xmm1, %xmm0", F_ALL, K_SSE_D, 8) \
    X(maxpd, "maxpd %xmm1, %xmm0", F_ALL, K_SSE_D, 8) \
    X(addss, "addss %xmm1, %xmm0", F_ALL, K_SSE_S, 4) \
    X(subss, "subss %xmm1, %xmm0", F_ALL, K_SSE_S, 4) \
    X(mulss, "mulss %xmm1, %xmm0", F_ALL, K_SSE_S, 4) \
    X(divss, "divss %xmm1, %xmm0", F_ALL, K_SSE_S, 4) \
    X(sqrtss, "sqrtss %xmm1, %xmm0", F_ALL, K_SSE_S, 4) \
    X(minss, "minss %xmm1, %xmm0", F_ALL, K_SSE_S, 4) \
    X(addps, "addps %xmm1, %xmm0", F_ALL, K_SSE_S, 4) \
    X(subps, "subps %xmm1, %xmm0", F_ALL, K_SSE_S, 4) \
    X(mulps, "mulps %xmm1, %xmm0", F_ALL, K_SSE_S, 4) \
    X(divps, "divps %xmm1, %xmm0", F_ALL, K_SSE_S, 4) \
    X(sqrtps, "sqrtps %xmm1, %xmm0", F_ALL, K_SSE_S, 4) \
    X(minps, "minps %xmm1, %xmm0", F_ALL, K_SSE_S, 4) \
    X(maxps, "maxps %xmm1, %xmm0", F_ALL, K_SSE_S, 4) \
    X(cmpltsd, "cmpltsd %xmm1, %xmm0", F_ALL, K_SSE_D, 8) \
    X(cmpunordpd, "cmpunordpd %xmm1, %xmm0", F_ALL, K_SSE_D, 8) \
    X(cmpnleps, "cmpnleps %xmm1, %xmm0", F_ALL, K_SSE_S, 4) \
    X(cmpeqss, "cmpeqss %xmm1, %xmm0", F_ALL, K_SSE_S, 4) \
    X(comisd, "comisd %xmm1, %xmm0", F_ALL, K_SSE_D, 8) \
    X(ucomisd, "ucomisd %xmm1, %xmm0", F_ALL, K_SSE_D, 8) \
    X(comiss, "comiss %xmm1, %xmm0", F_ALL, K_SSE_S, 4) \
    X(ucomiss, "ucomiss %xmm1, %xmm0", F_ALL, K_SSE_S, 4) \
    X(cvtsd2ss, "cvtsd2ss %xmm1, %xmm0", F_ALL, K_SSE_D, 8) \
    X(cvtss2sd, "cvtss2sd %xmm1, %xmm0", F_ALL, K_SSE_S, 4) \
    X(cvtsd2si64, "cvtsd2si %xmm1, %rax", F_ALL, K_SSE_D, 8) \
    X(cvttsd2si32, "cvttsd2si %xmm1, %eax", F_ALL, K_SSE_D, 8) \
    X(cvtss2si32, "cvtss2si %xmm1, %eax", F_ALL, K_SSE_S, 4) \
    X(cvttss2si64, "cvttss2si %xmm1, %rax", F_ALL, K_SSE_S, 4) \
    X(cvtsi2sd64, "cvtsi2sdq %rax, %xmm0", F_ALL, K_SSE_D, 8) \
    X(cvtsi2ss32, "cvtsi2ssl %eax, %xmm0", F_ALL, K_SSE_S, 4) \
    X(cvtsi2ss64, "cvtsi2ssq %rax, %xmm0", F_ALL, K_SSE_S, 4) \
    X(cvtps2pd, "cvtps2pd %xmm1, %xmm0", F_ALL, K_SSE_S, 4) \
    X(cvtpd2ps, "cvtpd2ps %xmm1, %xmm0", F_ALL, K_SSE_D, 8) \
    X(cvtdq2ps, "cvtdq2ps %xmm1, %xmm0", F_ALL, K_SSE_I, 4) \
    X(cvtps2dq, "cvtps2dq %xmm1, %xmm0", F_ALL, K_SSE_S, 4) \
    X(cvttps2dq, "cvttps2dq %xmm1, %xmm0", F_ALL, K_SSE_S, 4) \
    X(cvtdq2pd, "cvtdq2pd %xmm1, %xmm0", F_ALL, K_SSE_I, 4) \
    X(cvtpd2dq, "cvtpd2dq %xmm1, %xmm0", F_ALL, K_SSE_D, 8) \
    X(cvttpd2dq, "cvttpd2dq %xmm1, %xmm0", F_ALL, K_SSE_D, 8) \
    X(andnpd, "andnpd %xmm1, %xmm0", F_ALL, K_SSE_I, 8) \
    X(orps, "orps %xmm1, %xmm0", F_ALL, K_SSE_I, 4) \
    X(unpcklps, "unpcklps %xmm1, %xmm0", F_ALL, K_SSE_I, 4) \
    X(unpckhpd, "unpckhpd %xmm1, %xmm0", F_ALL, K_SSE_I, 8) \
    X(shufps, "shufps $0x1b, %xmm1, %xmm0", F_ALL, K_SSE_I, 4) \
    X(shufpd, "shufpd $1, %xmm1, %xmm0", F_ALL, K_SSE_I, 8) \
    X(movmskpd, "movmskpd %xmm1, %eax", F_ALL, K_SSE_I, 8) \
    X(movmskps, "movmskps %xmm1, %eax", F_ALL, K_SSE_I, 4) \
    X(movhlps, "movhlps %xmm1, %xmm0", F_ALL, K_SSE_I, 4) \
    X(movlhps, "movlhps %xmm1, %xmm0", F_ALL, K_SSE_I, 4) \
    X(movq_x, "movq %rax, %xmm0", F_ALL, K_SSE_I, 8) \
    X(movd_r, "movd %xmm1, %eax", F_ALL, K_SSE_I, 4) \
    X(paddb, "paddb %xmm1, %xmm0", F_ALL, K_SSE_I, 1) \
    X(paddw, "paddw %xmm1, %xmm0", F_ALL, K_SSE_I, 2) \
    X(paddd, "paddd %xmm1, %xmm0", F_ALL, K_SSE_I, 4) \
    X(paddq, "paddq %xmm1, %xmm0", F_ALL, K_SSE_I, 8) \
    X(psubb, "psubb %xmm1, %xmm0", F_ALL, K_SSE_I, 1) \
    X(psubq, "psubq %xmm1, %xmm0", F_ALL, K_SSE_I, 8) \
    X(paddsb, "paddsb %xmm1, %xmm0", F_ALL, K_SSE_I, 1) \
    X(paddusw, "paddusw %xmm1, %xmm0", F_ALL, K_SSE_I, 2) \
    X(psubsw, "psubsw %xmm1, %xmm0", F_ALL, K_SSE_I, 2) \
    X(psubusb, "psubusb %xmm1, %xmm0", F_ALL, K_SSE_I, 1) \
    X(pmullw, "pmullw %xmm1, %xmm0", F_ALL, K_SSE_I, 2) \
    X(pmulhw, "pmulhw %xmm1, %xmm0", F_ALL, K_SSE_I, 2) \
    X(pmulhuw, "pmulhuw %xmm1, %xmm0", F_ALL, K_SSE_I, 2) \
    X(pmuludq, "pmuludq %xmm1, %xmm0", F_ALL, K_SSE_I, 8) \
    X(pmaddwd, "pmaddwd %xmm1, %xmm0", F_ALL, K_SSE_I, 2) \
    X(psadbw, "psadbw %xmm1, %xmm0", F_ALL, K_SSE_I, 1) \
    X(pavgb, "pavgb %xmm1, %xmm0", F_ALL, K_SSE_I, 1) \
    X(pavgw, "pavgw %xmm1, %xmm0", F_ALL, K_SSE_I, 2) \
    X(pminub, "pminub %xmm1, %xmm0", F_ALL, K_SSE_I, 1) \
    X(pmaxsw, "pmaxsw %xmm1, %xmm0", F_ALL, K_SSE_I, 2) \
    X(pcmpeqb, "pcmpeqb %xmm1, %xmm0", F_ALL, K_SSE_I, 1) \
    X(pcmpeqw, "pcmpeqw %xmm1, %xmm0", F_ALL, K_SSE_I, 2) \
    X(pcmpeqd, "pcmpeqd %xmm1, %xmm0", F_ALL, K_SSE_I, 4) \
    X(pcmpgtb, "pcmpgtb %xmm1, %xmm0", F_ALL, K_SSE_I, 1) \
    X(pmaxub, "pmaxub %xmm1, %xmm0", F_ALL, K_SSE_I, 1) \
    X(pminsw, "pminsw %xmm1, %xmm0", F_ALL, K_SSE_I, 2) \
    X(psubw, "psubw %xmm1, %xmm0", F_ALL, K_SSE_I, 2) \
    X(psubd, "psubd %xmm1, %xmm0", F_ALL, K_SSE_I, 4) \
    X(paddsw, "paddsw %xmm1, %xmm0", F_ALL, K_SSE_I, 2) \
    X(paddusb, "paddusb %xmm1, %xmm0", F_ALL, K_SSE_I, 1) \
    X(psubsb, "psubsb %xmm1, %xmm0", F_ALL, K_SSE_I, 1) \
    X(psubusw, "psubusw %xmm1, %xmm0", F_ALL, K_SSE_I, 2) \
    X(pand, "pand %xmm1, %xmm0", F_ALL, K_SSE_I, 8) \
    X(por, "por %xmm1, %xmm0", F_ALL, K_SSE_I, 8) \
    X(pcmpgtw, "pcmpgtw %xmm1, %xmm0", F_ALL, K_SSE_I, 2) \
    X(pcmpgtd, "pcmpgtd %xmm1, %xmm0", F_ALL, K_SSE_I, 4) \
    X(packsswb, "packsswb %xmm1, %xmm0", F_ALL, K_SSE_I, 2) \
    X(packssdw, "packssdw %xmm1, %xmm0", F_ALL, K_SSE_I, 4) \
    X(packuswb, "packuswb %xmm1, %xmm0", F_ALL, K_SSE_I, 2) \
    X(punpcklbw, "punpcklbw %xmm1, %xmm0", F_ALL, K_SSE_I, 1) \
    X(punpckhwd, "punpckhwd %xmm1, %xmm0", F_ALL, K_SSE_I, 2) \
    X(punpckldq, "punpckldq %xmm1, %xmm0", F_ALL, K_SSE_I, 4) \
    X(punpcklqdq, "punpcklqdq %xmm1, %xmm0", F_ALL, K_SSE_I, 8) \
    X(punpckhqdq, "punpckhqdq %xmm1, %xmm0", F_ALL, K_SSE_I, 8) \
    X(pandn, "pandn %xmm1, %xmm0", F_ALL, K_SSE_I, 8) \
    X(pxor, "pxor %xmm1, %xmm0", F_ALL, K_SSE_I, 8) \
    X(psllw, "psllw %xmm1, %xmm0", F_ALL, K_SSE_SHIFT, 2) \
    X(psrld, "psrld %xmm1, %xmm0", F_ALL, K_SSE_SHIFT, 4) \
    X(psllq, "psllq %xmm1, %xmm0", F_ALL, K_SSE_SHIFT, 8) \
    X(psraw, "psraw %xmm1, %xmm0", F_ALL, K_SSE_SHIFT, 2) \
    X(psrad, "psrad %xmm1, %xmm0", F_ALL, K_SSE_SHIFT, 4) \
    X(psllwi, "psllw $3, %xmm0", F_ALL, K_SSE_I, 2) \
    X(psradi, "psrad $5, %xmm0", F_ALL, K_SSE_I, 4) \
    X(psrlqi, "psrlq $33, %xmm0", F_ALL, K_SSE_I, 8) \
    X(pslldq, "pslldq $3, %xmm0", F_ALL, K_SSE_I, 1) \
    X(psrldq, "psrldq $7, %xmm0", F_ALL, K_SSE_I, 1) \
    X(pshufd, "pshufd $0x1b, %xmm1, %xmm0", F_ALL, K_SSE_I, 4) \
    X(pshufhw, "pshufhw $0x4e, %xmm1, %xmm0", F_ALL, K_SSE_I, 2) \
    X(pshuflw, "pshuflw $0x93, %xmm1, %xmm0", F_ALL, K_SSE_I, 2) \
    X(pmovmskb, "pmovmskb %xmm1, %eax", F_ALL, K_SSE_I, 1) \
    X(pextrw, "pextrw $3, %xmm1, %eax", F_ALL, K_SSE_I, 2) \
    X(pinsrw, "pinsrw $5, %ebx, %xmm0", F_ALL, K_SSE_I, 2)

#define HD_ASM(name, insn, mask, kind, size) \
    ".globl hd_" #name "\nhd_" #name ":\n" insn "\n.globl hd_" #name "_end\nhd_" #name "_end:\nret\n"

/* hd_run(struct hd_regs *r, const void *snippet): loads the registers,
 * flags and MXCSR, calls the snippet and stores them back. */
__asm__(".text\n"
        ".globl hd_run\n"
        "hd_run:\n"
        "push %rbx\npush %rbp\npush %r12\n"
        "mov %rdi, %r10\nmov %rsi, %r11\n"
        "sub $8, %rsp\nstmxcsr (%rsp)\n"
        "movdqu 56(%r10), %xmm0\nmovdqu 72(%r10), %xmm1\nldmxcsr 88(%r10)\n"
        "mov 0(%r10), %rax\nmov 8(%r10), %rbx\nmov 16(%r10), %rcx\nmov 24(%r10), %rdx\n"
        "mov 32(%r10), %rsi\nmov 40(%r10), %rdi\n"
        "push 48(%r10)\npopfq\n"
        "call *%r11\n"
        "pushfq\npop 48(%r10)\n"
        "mov %rax, 0(%r10)\nmov %rbx, 8(%r10)\nmov %rcx, 16(%r10)\nmov %rdx, 24(%r10)\n"
        "mov %rsi, 32(%r10)\nmov %rdi, 40(%r10)\n"
        "movdqu %xmm0, 56(%r10)\nmovdqu %xmm1, 72(%r10)\nstmxcsr 88(%r10)\n"
        "ldmxcsr (%rsp)\nadd $8, %rsp\n"
        "pop %r12\npop %rbp\npop %rbx\nret\n"
        HD_LIST(HD_ASM));

void hd_run(struct hd_regs *r, const void *snippet);

#define HD_DECL(name, insn, mask, kind, size) \
    extern const uint8_t hd_##name[], hd_##name##_end[];
HD_LIST(HD_DECL)

struct hd_case {
    const char *name;
    const uint8_t *start, *end;
    uint32_t flags;
    int kind;
    unsigned size;
};

#define HD_ENTRY(name, insn, mask, kind, size) { #name, hd_##name, hd_##name##_end, mask, kind, size },
static const struct hd_case hd_cases[] = { HD_LIST(HD_ENTRY) };

/* --- random operands ---------------------------------------------------------- */

static uint64_t hd_state;

static uint64_t hd_rand(void)
{
    /* xorshift64* */
    hd_state ^= hd_state >> 12;
    hd_state ^= hd_state << 25;
    hd_state ^= hd_state >> 27;
    return hd_state * 0x2545f4914f6cdd1dull;
}

/* integers with edge cases: 0, all ones, sign bits, small values */
static uint64_t hd_int(void)
{
    uint64_t r = hd_rand();
    switch (hd_rand() % 8) {
    case 0: return 0;
    case 1: return ~0ull;
    case 2: return 1ull << (hd_rand() % 64);
    case 3: return r & 0xff;
    case 4: return (r & 1) ? 0x8000000000000000ull : 0x7fffffffffffffffull;
    default: return r;
    }
}

static uint64_t hd_f64(void)
{
    uint64_t r = hd_rand();
    switch (hd_rand() % 10) {
    case 0: return r & 0x800fffffffffffffull;                    /* denormal */
    case 1: return r | 0x7ff0000000000000ull;                    /* NaN/inf */
    case 2: return (r & 0x8000000000000000ull) | 0x7ff0000000000000ull;
    case 3: return r & 0x8000000000000000ull;                    /* zero */
    case 4: return (r & 0x800fffffffffffffull) | ((uint64_t)(1 + hd_rand() % 60) << 52);
    case 5: return (r & 0x800fffffffffffffull) | ((uint64_t)(2046 - hd_rand() % 60) << 52);
    case 6: { /* integer-valued */
        int64_t v = (int64_t)(hd_rand() % 2000) - 1000;
        double d = (double)v;
        uint64_t b;
        memcpy(&b, &d, 8);
        return b;
    }
    default:
        return (r & 0x800fffffffffffffull) | ((uint64_t)(1023 - 70 + hd_rand() % 140) << 52);
    }
}

static uint32_t hd_f32(void)
{
    uint32_t r = (uint32_t)hd_rand();
    switch (hd_rand() % 10) {
    case 0: return r & 0x807fffffu;
    case 1: return r | 0x7f800000u;
    case 2: return (r & 0x80000000u) | 0x7f800000u;
    case 3: return r & 0x80000000u;
    case 4: return (r & 0x807fffffu) | ((uint32_t)(1 + hd_rand() % 30) << 23);
    case 5: return (r & 0x807fffffu) | ((uint32_t)(254 - hd_rand() % 30) << 23);
    default: return (r & 0x807fffffu) | ((uint32_t)(127 - 40 + hd_rand() % 80) << 23);
    }
}

static void hd_fill_xmm(uint8_t *x, int kind)
{
    for (unsigned i = 0; i < 16; i += 8) {
        uint64_t v;
        if (kind == K_SSE_D) {
            v = hd_f64();
        } else if (kind == K_SSE_S) {
            v = hd_f32() | ((uint64_t)hd_f32() << 32);
        } else {
            v = hd_rand();
            if (hd_rand() % 4 == 0)
                v = hd_int();
        }
        memcpy(x + i, &v, 8);
    }
}

static void hd_operands(const struct hd_case *c, struct hd_regs *r)
{
    memset(r, 0, sizeof *r);
    r->rax = hd_int();
    r->rbx = hd_int();
    r->rcx = hd_int();
    r->rdx = hd_int();
    r->rsi = hd_int();
    r->rdi = hd_int();
    r->rflags = 0x2 | (hd_rand() & 0x8d5);
    /* all exceptions masked; random rounding mode, DAZ and FTZ */
    r->mxcsr = 0x1f80 | ((uint32_t)(hd_rand() & 3) << 13);
    if (hd_rand() % 4 == 0)
        r->mxcsr |= 0x40;
    if (hd_rand() % 4 == 0)
        r->mxcsr |= 0x8000;
    unsigned bits = 8 * c->size;
    uint64_t m = c->size == 8 ? ~0ull : (1ull << bits) - 1;
    switch (c->kind) {
    case K_SHIFT: case K_ROT: case K_SHXD:
        r->rcx = hd_rand() % 70;
        break;
    case K_SHXD16:
        r->rcx = hd_rand() % 17; /* counts above 16 are undefined for 16-bit operands */
        break;
    case K_DIV: { /* quotient must fit: high part below the divisor */
        uint64_t d = hd_int() & m;
        if (d == 0)
            d = 7;
        r->rbx = d;
        if (c->size == 1)
            r->rax = (r->rax & ~0xffffull) | ((hd_rand() % d) << 8) | (r->rax & 0xff);
        else
            r->rdx = (r->rdx & ~m) | (hd_rand() % d);
        break;
    }
    case K_IDIV: { /* dividend is the sign extension of a value that fits */
        int64_t d = (int64_t)(hd_int() & m);
        d = (int64_t)((uint64_t)d << (64 - bits)) >> (64 - bits);
        if (d == 0 || d == -1)
            d = 3;
        r->rbx = (uint64_t)d & m;
        int64_t a = (int64_t)(hd_rand() & m);
        a = (int64_t)((uint64_t)a << (64 - bits)) >> (64 - bits);
        r->rax = (r->rax & ~m) | ((uint64_t)a & m);
        r->rdx = (r->rdx & ~m) | ((a < 0 ? ~0ull : 0) & m);
        break;
    }
    case K_BSF:
        if ((r->rbx & m) == 0)
            r->rbx |= 1ull << (hd_rand() % bits);
        break;
    case K_SSE_SHIFT: {
        hd_fill_xmm(r->xmm0, K_SSE_I);
        uint64_t count = hd_rand() % 70;
        memcpy(r->xmm1, &count, 8);
        return;
    }
    default:
        break;
    }
    hd_fill_xmm(r->xmm0, c->kind);
    hd_fill_xmm(r->xmm1, c->kind);
    if (c->kind == K_SSE_D && hd_rand() % 3 == 0) /* equal operands for compares */
        memcpy(r->xmm1, r->xmm0, 16);
    if (c->kind == K_SSE_I && hd_rand() % 3 == 0) { /* some equal lanes for compares */
        uint32_t same = (uint32_t)hd_rand();
        for (unsigned i = 0; i < 16; i++)
            if (same & (1u << i))
                r->xmm1[i] = r->xmm0[i];
    }
}

/* Flags compared for this case and input: shifts and rotates leave OF
 * undefined unless the masked count is 1, AF undefined for shifts; a zero
 * count leaves every flag alone. */
static uint32_t hd_flag_mask(const struct hd_case *c, const struct hd_regs *in)
{
    unsigned cnt = (unsigned)in->rcx & (c->size == 8 ? 63 : 31);
    switch (c->kind) {
    case K_SHIFT:
        if (cnt == 0)
            return F_ALL;
        return (c->flags & ~0x10u) & (cnt == 1 ? ~0u : ~0x800u);
    case K_ROT:
        if (cnt == 0)
            return F_ALL;
        return cnt == 1 ? c->flags : (c->flags & ~0x800u);
    case K_SHXD: case K_SHXD16:
        if (cnt == 0)
            return F_ALL;
        return (c->flags & ~0x10u) & (cnt == 1 ? ~0u : ~0x800u);
    default:
        return c->flags;
    }
}

/* --- the model --------------------------------------------------------------- */

#define HD_CODE 0x10300u
#define HD_DATA 0x30000u

struct hd_model {
    struct x86_rig rig;
    bool ready;
};

static struct hd_model hd_model;

/* real mode -> long mode (16-bit code at 0x1000:0), then `jmp $` at 0x10200 */
static const uint8_t hd_stub[] = {
    0xfa, 0x2e, 0x66, 0x0f, 0x01, 0x16, 0x00, 0x01, 0x66, 0xb8, 0x20, 0x06,
    0x00, 0x00, 0x0f, 0x22, 0xe0, 0x66, 0xb8, 0x00, 0x00, 0x02, 0x00, 0x0f,
    0x22, 0xd8, 0x66, 0xb9, 0x80, 0x00, 0x00, 0xc0, 0x0f, 0x32, 0x66, 0x0d,
    0x00, 0x01, 0x00, 0x00, 0x0f, 0x30, 0x66, 0xb8, 0x31, 0x00, 0x00, 0x80,
    0x0f, 0x22, 0xc0, 0x66, 0xea, 0x00, 0x02, 0x01, 0x00, 0x10, 0x00,
};

static void hd_put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

static int hd_setup(void **state)
{
    struct x86_rig *rig = &hd_model.rig;
    struct cw_error err = {{0}};
    if (x86_rig_create(rig, 16 << 20, NULL, &err) != 0) {
        print_message("rig: %s\n", err.msg);
        return -1;
    }
    uint8_t *ram = rig->ram_host;
    memcpy(ram + 0x10000, hd_stub, sizeof hd_stub);
    /* GDT at 0x11000: null, null, 0x10 64-bit code; descriptor at 0x10100 */
    hd_put64(ram + 0x11010, 0x00af9a000000ffffull);
    ram[0x10100] = 0x17;
    ram[0x10101] = 0;
    uint32_t gbase = 0x11000;
    memcpy(ram + 0x10102, &gbase, 4);
    ram[0x10200] = 0xeb; /* jmp $ */
    ram[0x10201] = 0xfe;
    /* identity map of the first 16 MiB with 2 MiB pages */
    hd_put64(ram + 0x20000, 0x21000 | 3);
    hd_put64(ram + 0x21000, 0x22000 | 3);
    for (uint64_t i = 0; i < 8; i++)
        hd_put64(ram + 0x22000 + 8 * i, (i << 21) | 0x83);
    x86_cpu_set_reg(rig->cpu, X86_CS, 0x1000);
    x86_cpu_set_reg(rig->cpu, X86_RIP, 0);
    struct sim_limits lim = { SIM_MS(10), 0, 40 };
    sim_run(rig->sim, &lim);
    if (x86_cpu_get_reg(rig->cpu, X86_RIP) != 0x10200 || x86_cpu_get_reg(rig->cpu, X86_CS) != 0x10) {
        print_message("the model did not reach long mode (at %llx)\n",
                      (unsigned long long)x86_cpu_get_reg(rig->cpu, X86_RIP));
        return -1;
    }
    const char *seed = getenv("HOSTDIFF_SEED");
    hd_state = seed ? strtoull(seed, NULL, 0) : 0x9e3779b97f4a7c15ull;
    if (!hd_state)
        hd_state = 1;
    hd_model.ready = true;
    *state = &hd_model;
    return 0;
}

static int hd_teardown(void **state)
{
    if (hd_model.ready)
        x86_rig_destroy(&hd_model.rig);
    return 0;
}

/* SIB-absolute [disp32] forms used to move XMM state in and out */
static unsigned hd_emit_abs(uint8_t *p, const uint8_t *prefix, unsigned plen, uint8_t reg,
                            uint32_t addr)
{
    memcpy(p, prefix, plen);
    p[plen] = (uint8_t)(0x04 | (reg << 3));
    p[plen + 1] = 0x25;
    memcpy(p + plen + 2, &addr, 4);
    return plen + 6;
}

static void hd_model_run(const struct hd_case *c, struct hd_regs *r)
{
    struct x86_rig *rig = &hd_model.rig;
    struct x86_cpu *cpu = rig->cpu;
    uint8_t *ram = rig->ram_host;
    static const uint8_t movdqu_load[] = { 0xf3, 0x0f, 0x6f };
    static const uint8_t movdqu_store[] = { 0xf3, 0x0f, 0x7f };
    static const uint8_t mxcsr_op[] = { 0x0f, 0xae };
    memcpy(ram + HD_DATA, r->xmm0, 16);
    memcpy(ram + HD_DATA + 16, r->xmm1, 16);
    memcpy(ram + HD_DATA + 32, &r->mxcsr, 4);
    uint8_t *p = ram + HD_CODE;
    unsigned n = 0;
    n += hd_emit_abs(p + n, movdqu_load, 3, 0, HD_DATA);
    n += hd_emit_abs(p + n, movdqu_load, 3, 1, HD_DATA + 16);
    n += hd_emit_abs(p + n, mxcsr_op, 2, 2, HD_DATA + 32);
    unsigned len = (unsigned)(c->end - c->start);
    memcpy(p + n, c->start, len);
    n += len;
    n += hd_emit_abs(p + n, movdqu_store, 3, 0, HD_DATA);
    n += hd_emit_abs(p + n, movdqu_store, 3, 1, HD_DATA + 16);
    n += hd_emit_abs(p + n, mxcsr_op, 2, 3, HD_DATA + 32);
    p[n] = 0xeb;
    p[n + 1] = 0xfe;
    as_ram_written(rig->mem, HD_CODE, n + 2); /* new code: drop stale decodes */
    as_ram_written(rig->mem, HD_DATA, 48);
    uint64_t end = HD_CODE + n;
    x86_cpu_set_reg(cpu, X86_RAX, r->rax);
    x86_cpu_set_reg(cpu, X86_RBX, r->rbx);
    x86_cpu_set_reg(cpu, X86_RCX, r->rcx);
    x86_cpu_set_reg(cpu, X86_RDX, r->rdx);
    x86_cpu_set_reg(cpu, X86_RSI, r->rsi);
    x86_cpu_set_reg(cpu, X86_RDI, r->rdi);
    x86_cpu_set_reg(cpu, X86_RFLAGS, r->rflags);
    x86_cpu_set_reg(cpu, X86_RIP, HD_CODE);
    for (int i = 0; i < 16 && x86_cpu_get_reg(cpu, X86_RIP) != end; i++) {
        int v = x86_cpu_step(cpu);
        if (v >= 0)
            fail_msg("%s: the model raised exception %d at %llx", c->name, v,
                     (unsigned long long)x86_cpu_get_reg(cpu, X86_RIP));
    }
    if (x86_cpu_get_reg(cpu, X86_RIP) != end)
        fail_msg("%s: the model did not finish the snippet", c->name);
    r->rax = x86_cpu_get_reg(cpu, X86_RAX);
    r->rbx = x86_cpu_get_reg(cpu, X86_RBX);
    r->rcx = x86_cpu_get_reg(cpu, X86_RCX);
    r->rdx = x86_cpu_get_reg(cpu, X86_RDX);
    r->rsi = x86_cpu_get_reg(cpu, X86_RSI);
    r->rdi = x86_cpu_get_reg(cpu, X86_RDI);
    r->rflags = x86_cpu_get_reg(cpu, X86_RFLAGS);
    memcpy(r->xmm0, ram + HD_DATA, 16);
    memcpy(r->xmm1, ram + HD_DATA + 16, 16);
    memcpy(&r->mxcsr, ram + HD_DATA + 32, 4);
}

static void hd_dump(const char *who, const struct hd_regs *r)
{
    uint64_t x0[2], x1[2];
    memcpy(x0, r->xmm0, 16);
    memcpy(x1, r->xmm1, 16);
    print_message("  %-6s rax=%016llx rbx=%016llx rcx=%016llx rdx=%016llx rsi=%016llx rdi=%016llx "
                  "fl=%04llx xmm0=%016llx:%016llx xmm1=%016llx:%016llx mxcsr=%04x\n",
                  who, (unsigned long long)r->rax, (unsigned long long)r->rbx,
                  (unsigned long long)r->rcx, (unsigned long long)r->rdx,
                  (unsigned long long)r->rsi, (unsigned long long)r->rdi,
                  (unsigned long long)r->rflags, (unsigned long long)x0[1],
                  (unsigned long long)x0[0], (unsigned long long)x1[1],
                  (unsigned long long)x1[0], r->mxcsr);
}

static void test_hostdiff(void **state)
{
    const char *it = getenv("HOSTDIFF_ITERS");
    unsigned iters = it ? (unsigned)strtoul(it, NULL, 0) : 3000;
    unsigned failures = 0;
    for (size_t ci = 0; ci < sizeof hd_cases / sizeof hd_cases[0]; ci++) {
        const struct hd_case *c = &hd_cases[ci];
        unsigned case_fail = 0;
        for (unsigned i = 0; i < iters && case_fail < 3; i++) {
            struct hd_regs in, host, model;
            hd_operands(c, &in);
            host = in;
            model = in;
            hd_run(&host, c->start);
            hd_model_run(c, &model);
            uint32_t fm = hd_flag_mask(c, &in);
            bool same = host.rax == model.rax && host.rbx == model.rbx &&
                        host.rcx == model.rcx && host.rdx == model.rdx &&
                        host.rsi == model.rsi && host.rdi == model.rdi &&
                        ((host.rflags ^ model.rflags) & fm) == 0 &&
                        memcmp(host.xmm0, model.xmm0, 16) == 0 &&
                        memcmp(host.xmm1, model.xmm1, 16) == 0 && host.mxcsr == model.mxcsr;
            if (!same) {
                print_message("%s differs (flags compared: %03x):\n", c->name, fm);
                hd_dump("input", &in);
                hd_dump("host", &host);
                hd_dump("model", &model);
                case_fail++;
            }
        }
        failures += case_fail;
    }
    if (failures)
        fail_msg("%u differences between the host and the model", failures);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hostdiff),
    };
    return cmocka_run_group_tests(tests, hd_setup, hd_teardown);
}

#else /* not x86-64 */

static void test_hostdiff_skipped(void **state)
{
    print_message("host is not x86-64: differential tests skipped\n");
    skip();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hostdiff_skipped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

#endif
