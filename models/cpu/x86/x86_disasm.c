/* x86_disasm.c: Intel-syntax disassembler for the instruction trace, built
 * on the core's own decoder so trace and execution never disagree.
 * Intel SDM vol. 2 appendix A (opcode maps, operand notation). */
#include <stdarg.h>

#include "models/cpu/x86/x86_cpu.h"

/* Operand notation (SDM appendix A): E r/m, G reg, I imm, J rel, M memory,
 * S sreg, O moffs, A far pointer, Z register in opcode bits 0-2;
 * sizes b byte, w word, v operand size, z imm16/32. Fixed registers are
 * written as AL, eAX, DX, CL, 1. */
static const char *const x86_dis1[256] = {
    "add Eb,Gb", "add Ev,Gv", "add Gb,Eb", "add Gv,Ev", "add AL,Ib", "add eAX,Iz", "push es", "pop es",
    "or Eb,Gb", "or Ev,Gv", "or Gb,Eb", "or Gv,Ev", "or AL,Ib", "or eAX,Iz", "push cs", NULL,
    "adc Eb,Gb", "adc Ev,Gv", "adc Gb,Eb", "adc Gv,Ev", "adc AL,Ib", "adc eAX,Iz", "push ss", "pop ss",
    "sbb Eb,Gb", "sbb Ev,Gv", "sbb Gb,Eb", "sbb Gv,Ev", "sbb AL,Ib", "sbb eAX,Iz", "push ds", "pop ds",
    "and Eb,Gb", "and Ev,Gv", "and Gb,Eb", "and Gv,Ev", "and AL,Ib", "and eAX,Iz", NULL, "daa",
    "sub Eb,Gb", "sub Ev,Gv", "sub Gb,Eb", "sub Gv,Ev", "sub AL,Ib", "sub eAX,Iz", NULL, "das",
    "xor Eb,Gb", "xor Ev,Gv", "xor Gb,Eb", "xor Gv,Ev", "xor AL,Ib", "xor eAX,Iz", NULL, "aaa",
    "cmp Eb,Gb", "cmp Ev,Gv", "cmp Gb,Eb", "cmp Gv,Ev", "cmp AL,Ib", "cmp eAX,Iz", NULL, "aas",
    "inc Zv", "inc Zv", "inc Zv", "inc Zv", "inc Zv", "inc Zv", "inc Zv", "inc Zv",
    "dec Zv", "dec Zv", "dec Zv", "dec Zv", "dec Zv", "dec Zv", "dec Zv", "dec Zv",
    "push Zv", "push Zv", "push Zv", "push Zv", "push Zv", "push Zv", "push Zv", "push Zv",
    "pop Zv", "pop Zv", "pop Zv", "pop Zv", "pop Zv", "pop Zv", "pop Zv", "pop Zv",
    "pusha", "popa", "bound Gv,Mv", "arpl Ew,Gw", NULL, NULL, NULL, NULL,
    "push Iz", "imul Gv,Ev,Iz", "push Ib", "imul Gv,Ev,Ib", "insb", "insV", "outsb", "outsV",
    "jo Jb", "jno Jb", "jb Jb", "jae Jb", "je Jb", "jne Jb", "jbe Jb", "ja Jb",
    "js Jb", "jns Jb", "jp Jb", "jnp Jb", "jl Jb", "jge Jb", "jle Jb", "jg Jb",
    NULL, NULL, NULL, NULL, "test Eb,Gb", "test Ev,Gv", "xchg Eb,Gb", "xchg Ev,Gv",
    "mov Eb,Gb", "mov Ev,Gv", "mov Gb,Eb", "mov Gv,Ev", "mov Ew,Sw", "lea Gv,Mv", "mov Sw,Ew", "pop Ev",
    "nop", "xchg Zv,eAX", "xchg Zv,eAX", "xchg Zv,eAX", "xchg Zv,eAX", "xchg Zv,eAX", "xchg Zv,eAX", "xchg Zv,eAX",
    "cbwV", "cwdV", "call Ap", "fwait", "pushfV", "popfV", "sahf", "lahf",
    "mov AL,Ob", "mov eAX,Ov", "mov Ob,AL", "mov Ov,eAX", "movsb", "movsV", "cmpsb", "cmpsV",
    "test AL,Ib", "test eAX,Iz", "stosb", "stosV", "lodsb", "lodsV", "scasb", "scasV",
    "mov Zb,Ib", "mov Zb,Ib", "mov Zb,Ib", "mov Zb,Ib", "mov Zb,Ib", "mov Zb,Ib", "mov Zb,Ib", "mov Zb,Ib",
    "mov Zv,Iv", "mov Zv,Iv", "mov Zv,Iv", "mov Zv,Iv", "mov Zv,Iv", "mov Zv,Iv", "mov Zv,Iv", "mov Zv,Iv",
    NULL, NULL, "ret Iw", "ret", "les Gv,Mp", "lds Gv,Mp", "mov Eb,Ib", "mov Ev,Iz",
    "enter Iw,Ib", "leave", "retf Iw", "retf", "int3", "int Ib", "into", "iretV",
    NULL, NULL, NULL, NULL, "aam Ib", "aad Ib", "salc", "xlat",
    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
    "loopne Jb", "loope Jb", "loop Jb", "jcxz Jb", "in AL,Ib", "in eAX,Ib", "out Ib,AL", "out Ib,eAX",
    "call Jz", "jmp Jz", "jmp Ap", "jmp Jb", "in AL,DX", "in eAX,DX", "out DX,AL", "out DX,eAX",
    "lock", "int1", "repne", "rep", "hlt", "cmc", NULL, NULL,
    "clc", "stc", "cli", "sti", "cld", "std", NULL, NULL,
};

static const char *const x86_grp1[8] = { "add", "or", "adc", "sbb", "and", "sub", "xor", "cmp" };
static const char *const x86_grp2[8] = { "rol", "ror", "rcl", "rcr", "shl", "shr", "sal", "sar" };
static const char *const x86_cc[16] = { "o", "no", "b", "ae", "e", "ne", "be", "a",
                                        "s", "ns", "p", "np", "l", "ge", "le", "g" };
static const char *const x86_reg64[16] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                           "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };
static const char *const x86_reg32[16] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
                                           "r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d" };
static const char *const x86_reg16[16] = { "ax", "cx", "dx", "bx", "sp", "bp", "si", "di",
                                           "r8w", "r9w", "r10w", "r11w", "r12w", "r13w", "r14w", "r15w" };
static const char *const x86_reg8[16] = { "al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil",
                                          "r8b", "r9b", "r10b", "r11b", "r12b", "r13b", "r14b", "r15b" };
static const char *const x86_reg8h[4] = { "ah", "ch", "dh", "bh" };
static const char *const x86_sreg[8] = { "es", "cs", "ss", "ds", "fs", "gs", "?", "?" };

struct x86_dis_out {
    char *buf;
    size_t len, pos;
};

static void x86_dis_put(struct x86_dis_out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void x86_dis_put(struct x86_dis_out *o, const char *fmt, ...)
{
    if (o->pos >= o->len)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->buf + o->pos, o->len - o->pos, fmt, ap);
    va_end(ap);
    if (n > 0)
        o->pos += (size_t)n;
    if (o->pos >= o->len)
        o->pos = o->len - 1;
}

static const char *x86_dis_reg(unsigned r, unsigned size, bool rex)
{
    switch (size) {
    case 1:
        if (r >= 4 && r < 8 && !rex)
            return x86_reg8h[r - 4];
        return x86_reg8[r & 15];
    case 2: return x86_reg16[r & 15];
    case 4: return x86_reg32[r & 15];
    default: return x86_reg64[r & 15];
    }
}

static const char *x86_dis_ptr(unsigned size)
{
    switch (size) {
    case 1: return "byte";
    case 2: return "word";
    case 4: return "dword";
    case 6: return "fword";
    case 8: return "qword";
    case 10: return "tbyte";
    default: return "";
    }
}

static void x86_dis_mem(struct x86_dis_out *o, const struct x86_insn *in, unsigned size)
{
    const char *const *regs = in->addrsize == 2 ? x86_reg16 : in->addrsize == 4 ? x86_reg32 : x86_reg64;
    if (size)
        x86_dis_put(o, "%s ptr ", x86_dis_ptr(size));
    if (in->seg_override)
        x86_dis_put(o, "%s:", x86_sreg[in->seg]);
    x86_dis_put(o, "[");
    bool any = false;
    if (in->rip_rel) {
        x86_dis_put(o, "rip");
        any = true;
    }
    if (in->base >= 0) {
        x86_dis_put(o, "%s", regs[in->base]);
        any = true;
    }
    if (in->index >= 0) {
        x86_dis_put(o, "%s%s", any ? "+" : "", regs[in->index]);
        if (in->scale)
            x86_dis_put(o, "*%d", 1 << in->scale);
        any = true;
    }
    int64_t d = in->disp;
    if (in->addrsize == 2 && !any)
        d &= 0xffff;
    if (!any)
        x86_dis_put(o, "0x%llx", (unsigned long long)d);
    else if (d > 0)
        x86_dis_put(o, "+0x%llx", (unsigned long long)d);
    else if (d < 0)
        x86_dis_put(o, "-0x%llx", (unsigned long long)-d);
    x86_dis_put(o, "]");
}

static unsigned x86_dis_size(char c, const struct x86_insn *in)
{
    switch (c) {
    case 'b': return 1;
    case 'w': return 2;
    case 'd': return 4;
    case 'q': return 8;
    case 'p': return (unsigned)in->opsize + 2;
    default: return in->opsize;
    }
}

static void x86_dis_operand(struct x86_dis_out *o, const struct x86_insn *in, const char *spec,
                            uint64_t ip)
{
    char k = spec[0], s = spec[1];
    unsigned size = x86_dis_size(s, in);
    if (!strcmp(spec, "AL") || !strcmp(spec, "eAX") || !strcmp(spec, "DX") || !strcmp(spec, "CL") ||
        !strcmp(spec, "1"))
        k = 0; /* fixed registers, below */
    uint64_t ipmask = in->opsize == 2 ? 0xffff : in->opsize == 4 ? 0xffffffffull : ~0ull;
    switch (k) {
    case 'E':
        if (in->mem)
            x86_dis_mem(o, in, size);
        else
            x86_dis_put(o, "%s", x86_dis_reg(in->rm, size, in->rex));
        return;
    case 'M':
        x86_dis_mem(o, in, s == 'p' ? size : 0);
        return;
    case 'G':
        x86_dis_put(o, "%s", x86_dis_reg(in->reg, size, in->rex));
        return;
    case 'Z':
        x86_dis_put(o, "%s", x86_dis_reg((in->op & 7) | ((in->rex & 1u) << 3), size, in->rex));
        return;
    case 'S':
        x86_dis_put(o, "%s", x86_sreg[in->reg & 7]);
        return;
    case 'I':
        if (s == 'b' && in->op != 0x6a && in->op != 0x6b && in->op != 0x83)
            x86_dis_put(o, "0x%llx", (unsigned long long)(in->imm & 0xff));
        else if (spec[0] == 'I' && in->op == 0xc8 && spec[1] == 'b')
            x86_dis_put(o, "0x%llx", (unsigned long long)(in->imm2 & 0xff));
        else
            x86_dis_put(o, "0x%llx", (unsigned long long)(in->imm & x86_size_mask(size == 1 ? in->opsize : size)));
        return;
    case 'J':
        x86_dis_put(o, "0x%llx", (unsigned long long)((ip + in->len + in->imm) & ipmask));
        return;
    case 'O':
        if (in->seg_override || true)
            x86_dis_put(o, "%s ptr %s:[0x%llx]", x86_dis_ptr(size), x86_sreg[in->seg],
                        (unsigned long long)in->imm);
        return;
    case 'A':
        x86_dis_put(o, "0x%llx:0x%llx", (unsigned long long)in->imm2, (unsigned long long)in->imm);
        return;
    default:
        break;
    }
    /* fixed registers */
    if (!strcmp(spec, "AL")) x86_dis_put(o, "al");
    else if (!strcmp(spec, "eAX")) x86_dis_put(o, "%s", x86_dis_reg(0, in->opsize, true));
    else if (!strcmp(spec, "DX")) x86_dis_put(o, "dx");
    else if (!strcmp(spec, "CL")) x86_dis_put(o, "cl");
    else x86_dis_put(o, "%s", spec);
}

/* Prints "mnemonic op1,op2" from a template. */
static void x86_dis_template(struct x86_dis_out *o, const struct x86_insn *in, const char *t,
                             uint64_t ip)
{
    char mn[16];
    size_t i = 0;
    while (*t && *t != ' ' && i < sizeof mn - 1)
        mn[i++] = *t++;
    mn[i] = 0;
    /* size-suffixed string/flag mnemonics: V is w/d/q by operand size */
    size_t ml = strlen(mn);
    if (ml && mn[ml - 1] == 'V') {
        static const char *const sfx_cbw[3] = { "cbw", "cwde", "cdqe" };
        static const char *const sfx_cwd[3] = { "cwd", "cdq", "cqo" };
        int k = in->opsize == 2 ? 0 : in->opsize == 4 ? 1 : 2;
        mn[ml - 1] = 0;
        if (!strcmp(mn, "cbw"))
            snprintf(mn, sizeof mn, "%s", sfx_cbw[k]);
        else if (!strcmp(mn, "cwd"))
            snprintf(mn, sizeof mn, "%s", sfx_cwd[k]);
        else {
            size_t l = strlen(mn);
            if (l + 1 < sizeof mn) {
                mn[l] = "wdq"[k];
                mn[l + 1] = 0;
            }
        }
    }
    if (in->rep && (in->op & 0xf0) == 0xa0 && in->op >= 0xa4 && in->op != 0xa8 && in->op != 0xa9)
        x86_dis_put(o, "%s ", (in->rep == 0xf2 && (in->op == 0xa6 || in->op == 0xa7 || in->op == 0xae || in->op == 0xaf)) ? "repne" : "rep");
    if (in->rep && (in->op & 0xfc) == 0x6c)
        x86_dis_put(o, "rep ");
    if (in->lock)
        x86_dis_put(o, "lock ");
    x86_dis_put(o, "%s", mn);
    if (*t != ' ')
        return;
    t++;
    bool first = true;
    while (*t) {
        char spec[8];
        size_t n = 0;
        while (*t && *t != ',' && n < sizeof spec - 1)
            spec[n++] = *t++;
        spec[n] = 0;
        if (*t == ',')
            t++;
        x86_dis_put(o, first ? " " : ",");
        first = false;
        x86_dis_operand(o, in, spec, ip);
    }
}

static bool x86_dis_0f(struct x86_dis_out *o, const struct x86_insn *in, uint64_t ip)
{
    unsigned op = in->op & 0xff;
    unsigned r = in->reg & 7;
    char t[48];
    static const char *const g6[8] = { "sldt Ew", "str Ew", "lldt Ew", "ltr Ew", "verr Ew", "verw Ew", NULL, NULL };
    static const char *const g7[8] = { "sgdt M", "sidt M", "lgdt M", "lidt M", "smsw Ew", NULL, "lmsw Ew", "invlpg M" };
    switch (op) {
    case 0x00: if (!g6[r]) return false; x86_dis_template(o, in, g6[r], ip); return true;
    case 0x01: if (!g7[r]) return false; x86_dis_template(o, in, g7[r], ip); return true;
    case 0x02: x86_dis_template(o, in, "lar Gv,Ew", ip); return true;
    case 0x03: x86_dis_template(o, in, "lsl Gv,Ew", ip); return true;
    case 0x06: x86_dis_template(o, in, "clts", ip); return true;
    case 0x08: x86_dis_template(o, in, "invd", ip); return true;
    case 0x09: x86_dis_template(o, in, "wbinvd", ip); return true;
    case 0x0b: x86_dis_template(o, in, "ud2", ip); return true;
    case 0x1f: x86_dis_template(o, in, "nop Ev", ip); return true;
    case 0x20: case 0x22: case 0x21: case 0x23: {
        const char *rn = x86_dis_reg(in->rm, 4, true);
        char cr[8];
        snprintf(cr, sizeof cr, "%s%u", (op & 1) ? "dr" : "cr", in->reg);
        x86_dis_put(o, "mov %s,%s", op & 2 ? cr : rn, op & 2 ? rn : cr);
        return true;
    }
    case 0x30: x86_dis_template(o, in, "wrmsr", ip); return true;
    case 0x31: x86_dis_template(o, in, "rdtsc", ip); return true;
    case 0x32: x86_dis_template(o, in, "rdmsr", ip); return true;
    case 0xa0: x86_dis_template(o, in, "push fs", ip); return true;
    case 0xa1: x86_dis_template(o, in, "pop fs", ip); return true;
    case 0xa2: x86_dis_template(o, in, "cpuid", ip); return true;
    case 0xa3: x86_dis_template(o, in, "bt Ev,Gv", ip); return true;
    case 0xa4: x86_dis_template(o, in, "shld Ev,Gv,Ib", ip); return true;
    case 0xa5: x86_dis_template(o, in, "shld Ev,Gv,CL", ip); return true;
    case 0xa8: x86_dis_template(o, in, "push gs", ip); return true;
    case 0xa9: x86_dis_template(o, in, "pop gs", ip); return true;
    case 0xab: x86_dis_template(o, in, "bts Ev,Gv", ip); return true;
    case 0xac: x86_dis_template(o, in, "shrd Ev,Gv,Ib", ip); return true;
    case 0xad: x86_dis_template(o, in, "shrd Ev,Gv,CL", ip); return true;
    case 0xae: {
        static const char *const g15[8] = { "fxsave M", "fxrstor M", "ldmxcsr M", "stmxcsr M", NULL, "lfence", "mfence", "sfence" };
        if (!g15[r]) return false;
        x86_dis_template(o, in, g15[r], ip);
        return true;
    }
    case 0xaf: x86_dis_template(o, in, "imul Gv,Ev", ip); return true;
    case 0xb0: x86_dis_template(o, in, "cmpxchg Eb,Gb", ip); return true;
    case 0xb1: x86_dis_template(o, in, "cmpxchg Ev,Gv", ip); return true;
    case 0xb2: x86_dis_template(o, in, "lss Gv,Mp", ip); return true;
    case 0xb3: x86_dis_template(o, in, "btr Ev,Gv", ip); return true;
    case 0xb4: x86_dis_template(o, in, "lfs Gv,Mp", ip); return true;
    case 0xb5: x86_dis_template(o, in, "lgs Gv,Mp", ip); return true;
    case 0xb6: x86_dis_template(o, in, "movzx Gv,Eb", ip); return true;
    case 0xb7: x86_dis_template(o, in, "movzx Gv,Ew", ip); return true;
    case 0xba: {
        static const char *const g8[8] = { NULL, NULL, NULL, NULL, "bt Ev,Ib", "bts Ev,Ib", "btr Ev,Ib", "btc Ev,Ib" };
        if (!g8[r]) return false;
        x86_dis_template(o, in, g8[r], ip);
        return true;
    }
    case 0xbb: x86_dis_template(o, in, "btc Ev,Gv", ip); return true;
    case 0xbc: x86_dis_template(o, in, "bsf Gv,Ev", ip); return true;
    case 0xbd: x86_dis_template(o, in, "bsr Gv,Ev", ip); return true;
    case 0xbe: x86_dis_template(o, in, "movsx Gv,Eb", ip); return true;
    case 0xbf: x86_dis_template(o, in, "movsx Gv,Ew", ip); return true;
    case 0xc0: x86_dis_template(o, in, "xadd Eb,Gb", ip); return true;
    case 0xc1: x86_dis_template(o, in, "xadd Ev,Gv", ip); return true;
    case 0xc7: if (r != 1) return false; x86_dis_template(o, in, "cmpxchg8b Mq", ip); return true;
    default: break;
    }
    if (op >= 0x18 && op <= 0x1e) { x86_dis_template(o, in, "nop Ev", ip); return true; }
    if (op == 0x0d) { x86_dis_template(o, in, "prefetch Mb", ip); return true; }
    if (op >= 0x40 && op <= 0x4f) {
        snprintf(t, sizeof t, "cmov%s Gv,Ev", x86_cc[op & 15]);
        x86_dis_template(o, in, t, ip);
        return true;
    }
    if (op >= 0x80 && op <= 0x8f) {
        snprintf(t, sizeof t, "j%s Jz", x86_cc[op & 15]);
        x86_dis_template(o, in, t, ip);
        return true;
    }
    if (op >= 0x90 && op <= 0x9f) {
        snprintf(t, sizeof t, "set%s Eb", x86_cc[op & 15]);
        x86_dis_template(o, in, t, ip);
        return true;
    }
    if (op >= 0xc8 && op <= 0xcf) {
        x86_dis_template(o, in, "bswap Zv", ip);
        return true;
    }
    return false;
}

static bool x86_dis_one(struct x86_dis_out *o, const struct x86_insn *in, uint64_t ip)
{
    unsigned op = in->op;
    unsigned r = in->reg & 7;
    char t[48];
    if (op >= 0x100)
        return x86_dis_0f(o, in, ip);
    switch (op) {
    case 0x80: case 0x82: snprintf(t, sizeof t, "%s Eb,Ib", x86_grp1[r]); break;
    case 0x81: snprintf(t, sizeof t, "%s Ev,Iz", x86_grp1[r]); break;
    case 0x83: snprintf(t, sizeof t, "%s Ev,Ib", x86_grp1[r]); break;
    case 0xc0: snprintf(t, sizeof t, "%s Eb,Ib", x86_grp2[r]); break;
    case 0xc1: snprintf(t, sizeof t, "%s Ev,Ib", x86_grp2[r]); break;
    case 0xd0: snprintf(t, sizeof t, "%s Eb,1", x86_grp2[r]); break;
    case 0xd1: snprintf(t, sizeof t, "%s Ev,1", x86_grp2[r]); break;
    case 0xd2: snprintf(t, sizeof t, "%s Eb,CL", x86_grp2[r]); break;
    case 0xd3: snprintf(t, sizeof t, "%s Ev,CL", x86_grp2[r]); break;
    case 0xf6: case 0xf7: {
        static const char *const g3[8] = { "test", "test", "not", "neg", "mul", "imul", "div", "idiv" };
        snprintf(t, sizeof t, r < 2 ? "%s E%c,I%c" : "%s E%c", g3[r], op == 0xf6 ? 'b' : 'v',
                 op == 0xf6 ? 'b' : 'z');
        break;
    }
    case 0xfe:
        if (r > 1) return false;
        snprintf(t, sizeof t, "%s Eb", r ? "dec" : "inc");
        break;
    case 0xff: {
        static const char *const g5[8] = { "inc Ev", "dec Ev", "call Ev", "call far Mp", "jmp Ev",
                                           "jmp far Mp", "push Ev", NULL };
        if (!g5[r]) return false;
        snprintf(t, sizeof t, "%s", g5[r]);
        break;
    }
    case 0xd8: case 0xd9: case 0xda: case 0xdb: case 0xdc: case 0xdd: case 0xde: case 0xdf: {
        struct x87_insn xi = { .opcode = (uint8_t)op, .modrm = in->modrm, .has_mem = in->mem,
                               .op32 = in->opsize != 2, .ea = (uint64_t)in->disp };
        char buf[64];
        if (x87_disasm(&xi, buf, sizeof buf) <= 0)
            snprintf(buf, sizeof buf, "esc%x", op & 7);
        x86_dis_put(o, "%s", buf);
        if (in->mem) {
            x86_dis_put(o, " ");
            x86_dis_mem(o, in, 0);
        }
        return true;
    }
    default:
        if (!x86_dis1[op])
            return false;
        snprintf(t, sizeof t, "%s", x86_dis1[op]);
        break;
    }
    x86_dis_template(o, in, t, ip);
    return true;
}

void x86_disasm_insn(const struct x86_insn *in, uint64_t ip, char *buf, size_t len)
{
    struct x86_dis_out o = { buf, len, 0 };
    if (len)
        buf[0] = 0;
    if (!x86_dis_one(&o, in, ip))
        x86_dis_put(&o, "(bad)");
}

int x86_disasm_bytes(const uint8_t *bytes, unsigned len, int bits, uint64_t ip, char *buf,
                     size_t buflen)
{
    struct x86_insn in;
    memset(&in, 0, sizeof in);
    int rc = x86_decode_buf(&in, bits, bytes, len, NULL, NULL);
    if (rc != 0 && rc != X86_EXC_UD) {
        snprintf(buf, buflen, "(bad)");
        return 0;
    }
    x86_disasm_insn(&in, ip, buf, buflen);
    return rc == 0 ? in.len : 0;
}
