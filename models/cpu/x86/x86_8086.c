/* x86_8086.c: the 8086 behaviour profile of the x86 core (x86-cpu
 * `profile: 8086`): the 286 real-mode core with the 8086's differences:
 * its opcode map (60-6F alias 70-7F, C0/C1 alias C2/C3, C8/C9 alias CA/CB,
 * 0F is POP CS, F1 a LOCK prefix, no undefined opcodes), PUSH SP pushing
 * the decremented SP, shift and rotate counts not masked, SETMO (D0-D3 /6),
 * FLAGS bits 12-15 reading 1, word accesses at offset FFFF wrapping to
 * offset 0, divide errors returning after the instruction, a 20-bit
 * address bus. Intel iAPX 86/88 User's Manual (1981) ch. 2 and the
 * instruction set reference; undocumented behaviour as measured by the
 * SingleStepTests 8086 captures. */
#include "models/cpu/x86/x86_cpu.h"

/* --- decoder -------------------------------------------------------------- */

enum {
    I86_M = 0x01,   /* ModRM follows */
    I86_IB = 0x02,  /* imm8 / rel8 (sign-extended) */
    I86_IW = 0x04,  /* imm16 / rel16 */
    I86_AP = 0x06,  /* offset16, segment16 */
    I86_MO = 0x08,  /* memory offset16 */
    I86_IMASK = 0x0e,
    I86_G3 = 0x10,  /* F6/F7: immediate only for /0 and /1 */
    I86_PFX = 0x20, /* prefix */
    I86_UW = 0x40,  /* imm16 not sign-extended (RET imm16) */
};

#define M I86_M
#define IB I86_IB
#define IW I86_IW
static const uint8_t i86_map[256] = {
    /* 00 */ M, M, M, M, IB, IW, 0, 0, M, M, M, M, IB, IW, 0, 0,
    /* 10 */ M, M, M, M, IB, IW, 0, 0, M, M, M, M, IB, IW, 0, 0,
    /* 20 */ M, M, M, M, IB, IW, I86_PFX, 0, M, M, M, M, IB, IW, I86_PFX, 0,
    /* 30 */ M, M, M, M, IB, IW, I86_PFX, 0, M, M, M, M, IB, IW, I86_PFX, 0,
    /* 40 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /* 50 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /* 60 */ IB, IB, IB, IB, IB, IB, IB, IB, IB, IB, IB, IB, IB, IB, IB, IB,
    /* 70 */ IB, IB, IB, IB, IB, IB, IB, IB, IB, IB, IB, IB, IB, IB, IB, IB,
    /* 80 */ M | IB, M | IW, M | IB, M | IB, M, M, M, M, M, M, M, M, M, M, M, M,
    /* 90 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, I86_AP, 0, 0, 0, 0, 0,
    /* A0 */ I86_MO, I86_MO, I86_MO, I86_MO, 0, 0, 0, 0, IB, IW, 0, 0, 0, 0, 0, 0,
    /* B0 */ IB, IB, IB, IB, IB, IB, IB, IB, IW, IW, IW, IW, IW, IW, IW, IW,
    /* C0 */ IW | I86_UW, 0, IW | I86_UW, 0, M, M, M | IB, M | IW, IW | I86_UW, 0, IW | I86_UW, 0,
             0, IB, 0, 0,
    /* D0 */ M, M, M, M, IB, IB, 0, 0, M, M, M, M, M, M, M, M,
    /* E0 */ IB, IB, IB, IB, IB, IB, IB, IB, IW, IW, I86_AP, IB, 0, 0, 0, 0,
    /* F0 */ I86_PFX, I86_PFX, I86_PFX, I86_PFX, 0, 0, M | I86_G3, M | I86_G3, 0, 0, 0, 0, 0, 0,
             M, M,
};
#undef M
#undef IB
#undef IW

/* The opcode the core executes for an 8086 opcode: the aliases are the
 * same microcode as their documented twins. */
static unsigned i86_canonical(unsigned b)
{
    if (b >= 0x60 && b <= 0x6f)
        return 0x70 | (b & 0xf);
    switch (b) {
    case 0xc0: return 0xc2;
    case 0xc1: return 0xc3;
    case 0xc8: return 0xca;
    case 0xc9: return 0xcb;
    default: return b;
    }
}

struct i86_fetch {
    const uint8_t *buf;
    unsigned avail;
    x86_fetch_fn more;
    void *ctx;
    struct x86_insn *in;
    unsigned pos;
    bool failed;
};

static unsigned i86_byte(struct i86_fetch *f)
{
    int b;
    if (f->pos < f->avail)
        b = f->buf[f->pos];
    else if (!f->more || (b = f->more(f->ctx, f->pos)) < 0) {
        f->failed = true;
        b = 0;
    }
    /* the 8086 has no length limit; the first 16 bytes are kept */
    if (f->pos < sizeof f->in->bytes)
        f->in->bytes[f->pos] = (uint8_t)b;
    f->pos++;
    return (unsigned)b & 0xff;
}

static uint64_t i86_word(struct i86_fetch *f)
{
    unsigned lo = i86_byte(f);
    return lo | (i86_byte(f) << 8);
}

static const int8_t i86_ea_base[8] = { 3, 3, 5, 5, 6, 7, 5, 3 };
static const int8_t i86_ea_index[8] = { 6, 7, 6, 7, -1, -1, -1, -1 };

static void i86_modrm(struct i86_fetch *f)
{
    struct x86_insn *in = f->in;
    unsigned m = i86_byte(f);
    in->has_modrm = true;
    in->modrm = (uint8_t)m;
    in->mod = (uint8_t)(m >> 6);
    in->reg = (uint8_t)((m >> 3) & 7);
    in->rm = (uint8_t)(m & 7);
    in->mem = in->mod != 3;
    in->base = in->index = -1;
    in->disp = 0;
    if (!in->mem)
        return;
    unsigned rm = m & 7;
    uint8_t defseg = X86_SEG_DS;
    if (in->mod == 0 && rm == 6) {
        in->disp = (int64_t)i86_word(f);
    } else {
        in->base = i86_ea_base[rm];
        in->index = i86_ea_index[rm];
        if (rm == 2 || rm == 3 || rm == 6)
            defseg = X86_SEG_SS;
        if (in->mod == 1)
            in->disp = (int8_t)i86_byte(f);
        else if (in->mod == 2)
            in->disp = (int64_t)i86_word(f);
    }
    if (!in->seg_override)
        in->seg = defseg;
}

int x86_8086_decode(struct x86_insn *in, const uint8_t *buf, unsigned avail, x86_fetch_fn more,
                    void *ctx)
{
    struct i86_fetch f = { buf, avail, more, ctx, in, 0, false };
    in->rep = 0;
    in->lock = false;
    in->seg_override = false;
    in->seg = X86_SEG_DS;
    in->rex = 0;
    in->has_modrm = false;
    in->mem = false;
    in->imm = in->imm2 = 0;
    in->base = in->index = -1;
    in->scale = 0;
    in->disp = 0;
    in->rip_rel = false;
    in->opsize = 2;
    in->addrsize = 2;
    in->modrm = in->mod = in->reg = in->rm = 0;
    unsigned b;
    for (;;) {
        b = i86_byte(&f);
        if (f.failed)
            return -2;
        if (!(i86_map[b] & I86_PFX))
            break;
        if (b == 0xf0 || b == 0xf1)
            in->lock = true;
        else if (b == 0xf2 || b == 0xf3)
            in->rep = (uint8_t)b;
        else {
            in->seg = (uint8_t)((b >> 3) & 3);
            in->seg_override = true;
        }
    }
    uint8_t attr = i86_map[b];
    in->op = (uint16_t)i86_canonical(b);
    if (attr & I86_M) {
        i86_modrm(&f);
        switch (b) {
        case 0x8c: case 0x8e:
            in->reg &= 3; /* only two bits select the segment register */
            break;
        case 0x8f: case 0xc6: case 0xc7:
            in->reg = 0; /* the reg field is not decoded */
            break;
        case 0xf6: case 0xf7:
            if (in->reg == 1)
                in->reg = 0; /* TEST */
            break;
        case 0xff:
            if (in->reg == 7)
                in->reg = 6; /* PUSH */
            break;
        default:
            break;
        }
    }
    unsigned kind = attr & I86_IMASK;
    if ((attr & I86_G3) && in->reg == 0)
        kind = b == 0xf6 ? I86_IB : I86_IW;
    switch (kind) {
    case I86_IB: in->imm = (uint64_t)(int64_t)(int8_t)i86_byte(&f); break;
    case I86_IW:
        in->imm = i86_word(&f);
        if (!(attr & I86_UW))
            in->imm = (uint64_t)(int64_t)(int16_t)in->imm;
        break;
    case I86_AP:
        in->imm = i86_word(&f);
        in->imm2 = i86_word(&f);
        break;
    case I86_MO: in->imm = i86_word(&f); break;
    default: break;
    }
    if (f.failed)
        return -2;
    in->len = (uint8_t)(f.pos > 255 ? 255 : f.pos);
    return 0;
}

/* --- memory wrap at offset FFFF ------------------------------------------- */

uint64_t x86_8086_read_wrap(struct x86_cpu *cpu, int seg, uint64_t off, unsigned size)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        uint64_t o = (off + i) & 0xffff;
        v |= x86_read_lin(cpu, x86_lin(cpu, seg, o, 1, false), 1) << (8 * i);
    }
    return v;
}

void x86_8086_write_wrap(struct x86_cpu *cpu, int seg, uint64_t off, unsigned size, uint64_t v)
{
    for (unsigned i = 0; i < size; i++) {
        uint64_t o = (off + i) & 0xffff;
        x86_write_lin(cpu, x86_lin(cpu, seg, o, 1, true), 1, (v >> (8 * i)) & 0xff);
    }
}

/* --- execution -------------------------------------------------------------- */

static uint64_t i86_ea(const struct x86_cpu *cpu, const struct x86_insn *in)
{
    uint64_t a = (uint64_t)in->disp;
    if (in->base >= 0)
        a += cpu->regs[in->base];
    if (in->index >= 0)
        a += cpu->regs[in->index];
    return a & 0xffff;
}

static uint64_t i86_rm_read(struct x86_cpu *cpu, const struct x86_insn *in, unsigned size)
{
    if (!in->mem)
        return x86_reg(cpu, in->rm, size, false);
    return x86_read(cpu, in->seg, i86_ea(cpu, in), size);
}

static void i86_rm_write(struct x86_cpu *cpu, const struct x86_insn *in, unsigned size, uint64_t v)
{
    if (!in->mem)
        x86_set_reg(cpu, in->rm, size, false, v);
    else
        x86_write(cpu, in->seg, i86_ea(cpu, in), size, v);
}

/* Divide error: the 8086 pushes the address of the next instruction. */
static void i86_divide_error(struct x86_cpu *cpu)
{
    x86_deliver(cpu, X86_EXC_DE, false, false, 0, cpu->next_rip);
}

/* The flags a divide error leaves: those of the microcode's first
 * subtraction of the divisor from the dividend's high half (after the
 * signed division made both positive). */
static void i86_div_error_flags(struct x86_cpu *cpu, uint64_t num, uint64_t d, bool is_signed,
                                unsigned size)
{
    unsigned n = size * 8;
    uint64_t m = size == 1 ? 0xff : 0xffff;
    uint64_t hi = (num >> n) & m, lo = num & m;
    if (is_signed) {
        if (hi >> (n - 1)) {
            hi = lo ? ~hi & m : (0 - hi) & m;
        }
        if (d >> (n - 1))
            d = (0 - d) & m;
    }
    x86_alu(cpu, 5, hi, d, size);
}

static void i86_div(struct x86_cpu *cpu, const struct x86_insn *in, bool is_signed, unsigned size)
{
    uint64_t m = size == 1 ? 0xff : 0xffff;
    unsigned n = size * 8;
    uint64_t d = i86_rm_read(cpu, in, size) & m;
    uint64_t num = size == 1 ? cpu->regs[0] & 0xffff
                             : ((cpu->regs[2] & 0xffff) << 16) | (cpu->regs[0] & 0xffff);
    if (d == 0) {
        i86_div_error_flags(cpu, num, d, is_signed, size);
        i86_divide_error(cpu);
        return;
    }
    uint64_t q, r;
    if (!is_signed) {
        q = num / d;
        r = num % d;
        if (q > m) {
            i86_div_error_flags(cpu, num, d, is_signed, size);
            i86_divide_error(cpu);
            return;
        }
    } else {
        int64_t sn = (int64_t)(num << (64 - 2 * n)) >> (64 - 2 * n);
        int64_t sd = (int64_t)(d << (64 - n)) >> (64 - n);
        int64_t sq = sn / sd, sr = sn % sd;
        int64_t lim = ((int64_t)1 << (n - 1)) - 1;
        /* the 8086's range is symmetric: -128 (-32768) also faults */
        if (sq > lim || sq < -lim) {
            i86_div_error_flags(cpu, num, d, is_signed, size);
            i86_divide_error(cpu);
            return;
        }
        q = (uint64_t)sq & m;
        r = (uint64_t)sr & m;
    }
    if (size == 1) {
        x86_set_reg(cpu, 0, 2, false, (r << 8) | q);
    } else {
        x86_set_reg(cpu, 0, 2, false, q);
        x86_set_reg(cpu, 2, 2, false, r);
    }
}

/* Shifts and rotates: the count is not masked; the microcode shifts one
 * bit per iteration, so the flags are those of the last step. D0-D3 /6
 * (SETMO) sets the operand to all ones. */
static void i86_shift(struct x86_cpu *cpu, const struct x86_insn *in)
{
    unsigned size = (in->op & 1) ? 2 : 1;
    unsigned count = in->op <= 0xd1 ? 1 : (unsigned)(cpu->regs[1] & 0xff);
    uint64_t v = i86_rm_read(cpu, in, size);
    if (count == 0) {
        if (in->mem)
            i86_rm_write(cpu, in, size, v);
        return;
    }
    uint64_t r;
    if (in->reg == 6) {
        r = x86_alu(cpu, 1, v, size == 1 ? 0xff : 0xffff, size); /* OR: CF = OF = 0 */
    } else {
        r = v;
        for (unsigned i = 0; i < count; i++)
            r = x86_shift(cpu, in->reg, r, 1, size);
    }
    i86_rm_write(cpu, in, size, r);
}

bool x86_8086_exec(struct x86_cpu *cpu, struct x86_insn *in)
{
    switch (in->op) {
    case 0x0f: /* POP CS */
        x86_load_seg_real(cpu, X86_SEG_CS, (uint16_t)x86_pop(cpu, 2));
        return true;
    case 0x54: /* PUSH SP: the value after the decrement */
        x86_push(cpu, 2, (cpu->regs[4] - 2) & 0xffff);
        return true;
    case 0x8e:
        if (in->reg == X86_SEG_CS) { /* MOV CS, r/m */
            x86_load_seg_real(cpu, X86_SEG_CS, (uint16_t)i86_rm_read(cpu, in, 2));
            return true;
        }
        return false;
    case 0x9c: /* PUSHF: bits 12-15 read 1 */
        x86_push(cpu, 2, (x86_get_flags(cpu) & 0xffff) | 0xf000);
        return true;
    case 0xd0: case 0xd1: case 0xd2: case 0xd3:
        i86_shift(cpu, in);
        return true;
    case 0xd4: /* AAM */
        if ((uint8_t)in->imm == 0) {
            i86_divide_error(cpu);
            return true;
        }
        return false;
    case 0xf6: case 0xf7:
        if (in->reg >= 6) {
            i86_div(cpu, in, in->reg == 7, (in->op & 1) ? 2 : 1);
            return true;
        }
        return false;
    case 0xfe:
        if (in->reg >= 2) {
            /* FE /2-/7 run the FF microcode on a byte operand; modelled
             * as the word form (undocumented, not exercised by software) */
            in->op = 0xff;
            return false;
        }
        return false;
    default:
        return false;
    }
}
