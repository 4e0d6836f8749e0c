/* x86_decode.c: the one x86 instruction decoder (prefixes, REX, ModRM, SIB,
 * displacement, immediates) for 16-, 32- and 64-bit code. Intel SDM vol. 2
 * chapter 2 (instruction format) and appendix A (opcode maps). */
#include "models/cpu/x86/x86_cpu.h"

/* per-opcode decode attributes */
enum {
    M = 0x01,     /* ModRM follows */
    IB = 0x02,    /* imm8 (also rel8) */
    IW = 0x04,    /* imm16 */
    IZ = 0x06,    /* imm16/32 by operand size (also rel16/32) */
    IV = 0x08,    /* imm16/32/64 (MOV r, imm) */
    AP = 0x0a,    /* far pointer: offset16/32 then selector16 */
    MO = 0x0c,    /* memory offset, address size wide */
    IWB = 0x0e,   /* imm16 then imm8 (ENTER) */
    IMASK = 0x0e,
    BAD = 0x10,   /* undefined: #UD */
    I64 = 0x20,   /* invalid in 64-bit mode */
    PFX = 0x40,   /* prefix */
    G3 = 0x80,    /* F6/F7: immediate only for /0 and /1 */
};

static const uint8_t x86_map1[256] = {
    /* 00 */ M, M, M, M, IB, IZ, I64, I64, M, M, M, M, IB, IZ, I64, 0,
    /* 10 */ M, M, M, M, IB, IZ, I64, I64, M, M, M, M, IB, IZ, I64, I64,
    /* 20 */ M, M, M, M, IB, IZ, PFX, I64, M, M, M, M, IB, IZ, PFX, I64,
    /* 30 */ M, M, M, M, IB, IZ, PFX, I64, M, M, M, M, IB, IZ, PFX, I64,
    /* 40 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /* 50 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /* 60 */ I64, I64, M | I64, M, PFX, PFX, PFX, PFX, IZ, M | IZ, IB, M | IB, 0, 0, 0, 0,
    /* 70 */ IB, IB, IB, IB, IB, IB, IB, IB, IB, IB, IB, IB, IB, IB, IB, IB,
    /* 80 */ M | IB, M | IZ, M | IB | I64, M | IB, M, M, M, M, M, M, M, M, M, M, M, M,
    /* 90 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, AP | I64, 0, 0, 0, 0, 0,
    /* A0 */ MO, MO, MO, MO, 0, 0, 0, 0, IB, IZ, 0, 0, 0, 0, 0, 0,
    /* B0 */ IB, IB, IB, IB, IB, IB, IB, IB, IV, IV, IV, IV, IV, IV, IV, IV,
    /* C0 */ M | IB, M | IB, IW, 0, M | I64, M | I64, M | IB, M | IZ, IWB, 0, IW, 0, 0, IB, I64, 0,
    /* D0 */ M, M, M, M, IB | I64, IB | I64, I64, 0, M, M, M, M, M, M, M, M,
    /* E0 */ IB, IB, IB, IB, IB, IB, IB, IB, IZ, IZ, AP | I64, IB, 0, 0, 0, 0,
    /* F0 */ PFX, 0, PFX, PFX, 0, 0, M | G3, M | G3, 0, 0, 0, 0, 0, 0, M, M,
};

static const uint8_t x86_map2[256] = {
    /* 00 */ M, M, M, M, BAD, 0, 0, 0, 0, 0, BAD, 0, BAD, M, BAD, BAD,
    /* 10 */ M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
    /* 20 */ M, M, M, M, BAD, BAD, BAD, BAD, M, M, M, M, M, M, M, M,
    /* 30 */ 0, 0, 0, 0, 0, 0, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD,
    /* 40 */ M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
    /* 50 */ M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
    /* 60 */ M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
    /* 70 */ M | IB, M | IB, M | IB, M | IB, M, M, M, 0, BAD, BAD, BAD, BAD, BAD, BAD, M, M,
    /* 80 */ IZ, IZ, IZ, IZ, IZ, IZ, IZ, IZ, IZ, IZ, IZ, IZ, IZ, IZ, IZ, IZ,
    /* 90 */ M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
    /* A0 */ 0, 0, 0, M, M | IB, M, BAD, BAD, 0, 0, 0, M, M | IB, M, M, M,
    /* B0 */ M, M, M, M, M, M, M, M, BAD, M, M | IB, M, M, M, M, M,
    /* C0 */ M, M, M | IB, M, M | IB, M | IB, M | IB, M, 0, 0, 0, 0, 0, 0, 0, 0,
    /* D0 */ M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
    /* E0 */ M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
    /* F0 */ M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
};

struct x86_decoder {
    const uint8_t *buf;
    unsigned avail;
    x86_fetch_fn more;
    void *ctx;
    struct x86_insn *in;
    unsigned pos;
    unsigned max_len;
    bool failed;
};

static int x86_decode_byte(struct x86_decoder *d)
{
    int b;
    if (d->pos >= d->max_len) {
        d->failed = true;
        return -1;
    }
    if (d->pos < d->avail)
        b = d->buf[d->pos];
    else if (!d->more || (b = d->more(d->ctx, d->pos)) < 0) {
        d->failed = true;
        return -1;
    }
    d->in->bytes[d->pos++] = (uint8_t)b;
    return b;
}

static uint64_t x86_decode_le(struct x86_decoder *d, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)(uint8_t)x86_decode_byte(d) << (8 * i);
    return v;
}

static int64_t x86_sext(uint64_t v, unsigned bytes)
{
    unsigned shift = 64 - 8 * bytes;
    return (int64_t)(v << shift) >> shift;
}

/* 16-bit addressing forms: base, index per rm */
static const int8_t x86_ea16_base[8] = { 3, 3, 5, 5, 6, 7, 5, 3 };
static const int8_t x86_ea16_index[8] = { 6, 7, 6, 7, -1, -1, -1, -1 };

static void x86_decode_modrm(struct x86_decoder *d, int bits)
{
    struct x86_insn *in = d->in;
    int m = x86_decode_byte(d);
    in->modrm = (uint8_t)m;
    in->mod = (uint8_t)(m >> 6);
    in->reg = (uint8_t)(((m >> 3) & 7) | ((in->rex & 4) << 1));
    in->rm = (uint8_t)((m & 7) | ((in->rex & 1) << 3));
    in->base = in->index = -1;
    in->scale = 0;
    in->disp = 0;
    in->rip_rel = false;
    in->mem = in->mod != 3;
    if (!in->mem)
        return;
    unsigned rm = m & 7;
    uint8_t defseg = X86_SEG_DS;
    if (in->addrsize == 2) {
        if (in->mod == 0 && rm == 6) {
            in->disp = (int64_t)x86_decode_le(d, 2);
        } else {
            in->base = x86_ea16_base[rm];
            in->index = x86_ea16_index[rm];
            if (rm == 2 || rm == 3 || rm == 6)
                defseg = X86_SEG_SS;
            if (in->mod == 1)
                in->disp = x86_sext(x86_decode_le(d, 1), 1);
            else if (in->mod == 2)
                in->disp = (int64_t)x86_decode_le(d, 2);
        }
    } else {
        if (rm == 4) {
            int sib = x86_decode_byte(d);
            unsigned base = (unsigned)sib & 7;
            unsigned index = (((unsigned)sib >> 3) & 7) | ((in->rex & 2u) << 2);
            in->scale = (uint8_t)(sib >> 6);
            if (index != 4)
                in->index = (int8_t)index;
            if (base == 5 && in->mod == 0) {
                in->disp = x86_sext(x86_decode_le(d, 4), 4);
            } else {
                in->base = (int8_t)(base | ((in->rex & 1u) << 3));
                if (base == 4 || base == 5)
                    defseg = X86_SEG_SS;
            }
        } else if (rm == 5 && in->mod == 0) {
            in->disp = x86_sext(x86_decode_le(d, 4), 4);
            in->rip_rel = bits == 64;
        } else {
            in->base = (int8_t)in->rm;
            if (rm == 5)
                defseg = X86_SEG_SS;
        }
        if (in->mod == 1)
            in->disp = x86_sext(x86_decode_le(d, 1), 1);
        else if (in->mod == 2)
            in->disp = x86_sext(x86_decode_le(d, 4), 4);
    }
    if (!in->seg_override)
        in->seg = defseg;
}

static void x86_decode_imm(struct x86_decoder *d, unsigned kind, int bits)
{
    struct x86_insn *in = d->in;
    unsigned zsize = in->opsize == 2 ? 2 : 4;
    switch (kind) {
    case IB: in->imm = (uint64_t)x86_sext(x86_decode_le(d, 1), 1); break;
    case IW: in->imm = x86_decode_le(d, 2); break;
    case IZ: in->imm = (uint64_t)x86_sext(x86_decode_le(d, zsize), zsize); break;
    case IV: in->imm = x86_decode_le(d, in->opsize); break;
    case AP:
        in->imm = x86_decode_le(d, zsize);
        in->imm2 = x86_decode_le(d, 2);
        break;
    case MO: in->imm = x86_decode_le(d, in->addrsize); break;
    case IWB:
        in->imm = x86_decode_le(d, 2);
        in->imm2 = x86_decode_le(d, 1);
        break;
    default: break;
    }
}

int x86_decode_buf(struct x86_insn *in, int bits, const uint8_t *buf, unsigned avail,
                   x86_fetch_fn more, void *ctx)
{
    struct x86_decoder d = { buf, avail, more, ctx, in, 0, 15, false };
    if (bits == -16) { /* the 286 limits instructions to 10 bytes */
        bits = 16;
        d.max_len = 10;
    }
    bool opsize_pfx = false, addrsize_pfx = false;
    int b;

    in->rep = 0;
    in->lock = false;
    in->seg_override = false;
    in->seg = X86_SEG_DS;
    in->rex = 0;
    in->has_modrm = false;
    in->mem = false;
    in->imm = in->imm2 = 0;
    in->base = in->index = -1;
    in->disp = 0;
    in->rip_rel = false;
    in->pfx66 = false;
    for (;;) {
        b = x86_decode_byte(&d);
        if (b < 0)
            break;
        switch (b) {
        case 0x26: case 0x2e: case 0x36: case 0x3e:
            in->seg = (uint8_t)((b >> 3) & 3);
            in->seg_override = true;
            in->rex = 0;
            continue;
        case 0x64: case 0x65:
            in->seg = (uint8_t)(X86_SEG_FS + (b & 1));
            in->seg_override = true;
            in->rex = 0;
            continue;
        case 0x66: opsize_pfx = true; in->rex = 0; continue;
        case 0x67: addrsize_pfx = true; in->rex = 0; continue;
        case 0xf0: in->lock = true; in->rex = 0; continue;
        case 0xf2: case 0xf3: in->rep = (uint8_t)b; in->rex = 0; continue;
        default: break;
        }
        if (bits == 64 && (b & 0xf0) == 0x40) {
            in->rex = (uint8_t)b;
            continue;
        }
        break;
    }
    if (d.failed)
        return d.pos >= d.max_len ? X86_EXC_GP : -2;
    in->pfx66 = opsize_pfx; /* also a mandatory prefix of SSE instructions */

    if (bits == 64) {
        in->opsize = (in->rex & 8) ? 8 : opsize_pfx ? 2 : 4;
        in->addrsize = addrsize_pfx ? 4 : 8;
    } else {
        bool b32 = bits == 32;
        in->opsize = (b32 ^ opsize_pfx) ? 4 : 2;
        in->addrsize = (b32 ^ addrsize_pfx) ? 4 : 2;
    }

    uint8_t attr;
    if (b == 0x0f) {
        b = x86_decode_byte(&d);
        if (b < 0)
            return d.pos >= d.max_len ? X86_EXC_GP : -2;
        in->op = (uint16_t)(0x100 | b);
        attr = x86_map2[b];
    } else {
        in->op = (uint16_t)b;
        attr = x86_map1[b];
    }
    if ((attr & I64) && bits == 64)
        attr = BAD;
    if (attr & M) {
        in->has_modrm = true;
        x86_decode_modrm(&d, bits);
    }
    if (attr & G3) {
        if ((in->reg & 7) < 2)
            x86_decode_imm(&d, in->op == 0xf6 ? IB : IZ, bits);
    } else if (attr & IMASK) {
        unsigned kind = attr & IMASK;
        /* near branches and MOV r,imm64 only widen in 64-bit mode */
        if (kind == IV && in->opsize == 8)
            in->imm = 0;
        x86_decode_imm(&d, kind, bits);
    }
    if (d.failed)
        return d.pos >= d.max_len ? X86_EXC_GP : -2;
    in->len = (uint8_t)d.pos;
    if (attr & BAD)
        return X86_EXC_UD;
    return 0;
}

int x86_decode(struct x86_insn *in, int bits, x86_fetch_fn fetch, void *ctx)
{
    return x86_decode_buf(in, bits, NULL, 0, fetch, ctx);
}
