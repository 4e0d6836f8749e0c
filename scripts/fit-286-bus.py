#!/usr/bin/env python3
# fit-286-bus.py: fits the EU programs of the 80286 bus model (biu_286.c) to
# the SingleStepTests 80286 real-mode captures and writes biu_286_params.h.
#   python3 scripts/fit-286-bus.py [DATA_DIR] > models/cpu/x86/biu_286_params.h
# A small model of the bus, prefetcher and decoder (the same rules as
# biu_286.c) gives each test's EU start; the capture's bus cycles then give
# the clocks from the start to the first request, between requests, to the
# queue flush and to the HLT. Tests are grouped by opcode and form (the key
# of biu_286_params.h); each gap is its most common value in the group.
# The script replays every test with the fitted programs and prints the
# exact count to stderr (a little below test_timing_286's: the C model
# knows the core's accesses, this one the capture's).
import collections, gzip, json, os, re, struct, sys

DATA = sys.argv[1] if len(sys.argv) > 1 else '/work/shared/data/singlestep/80286-real-mode'

# --- MOO reader -----------------------------------------------------------
def rd(path):
    b = gzip.open(path).read()
    pos = 8 + struct.unpack_from('<I', b, 4)[0]
    while pos + 8 <= len(b):
        cid = b[pos:pos+4]; ln = struct.unpack_from('<I', b, pos+4)[0]
        d = b[pos+8:pos+8+ln]; pos += 8 + ln
        if cid != b'TEST': continue
        t = {}
        q = 4
        while q + 8 <= len(d):
            c = d[q:q+4]; l = struct.unpack_from('<I', d, q+4)[0]; x = d[q+8:q+8+l]; q += 8 + l
            if c == b'NAME': t['name'] = x[4:4+struct.unpack_from('<I',x,0)[0]].decode()
            elif c == b'BYTS': t['bytes'] = x[4:4+struct.unpack_from('<I',x,0)[0]]
            elif c in (b'INIT', b'FINA'):
                st = {}
                p = 0
                while p + 8 <= len(x):
                    cc = x[p:p+4]; ll = struct.unpack_from('<I', x, p+4)[0]; xx = x[p+8:p+8+ll]; p += 8 + ll
                    if cc == b'REGS':
                        m = struct.unpack_from('<H', xx, 0)[0]; v = 2; regs = {}
                        for i,nm in enumerate(['ax','bx','cx','dx','cs','ss','ds','es','sp','bp','si','di','ip','flags']):
                            if m & (1<<i): regs[nm] = struct.unpack_from('<H', xx, v)[0]; v += 2
                        st['regs'] = regs
                    elif cc == b'RAM ':
                        n = struct.unpack_from('<I', xx, 0)[0]
                        st['ram'] = [struct.unpack_from('<IB', xx, 4+5*i) for i in range(n)]
                t[c.decode().lower()] = st
            elif c == b'CYCL':
                n = struct.unpack_from('<I', x, 0)[0]
                t['cycles'] = [struct.unpack_from('<BIBBBBHBBBB', x, 4+15*i) for i in range(n)]
            elif c == b'EXCP': t['excp'] = x[0]
            elif c == b'HASH': t['hash'] = x[:20].hex()
        yield t

# --- instruction formats ----------------------------------------------------
# 80286 instruction format: prefixes, opcode, modrm, disp, immediates.
PFX={0x26,0x2e,0x36,0x3e,0xf0,0xf2,0xf3}
def has_modrm(op):
    if op < 0x40: return (op & 7) < 4
    if op in (0x62,0x63,0x69,0x6b): return True
    if 0x80 <= op <= 0x8f: return True
    if op in (0xc0,0xc1,0xc4,0xc5,0xc6,0xc7): return True
    if 0xd0 <= op <= 0xd3 or 0xd8 <= op <= 0xdf: return True
    if op in (0xf6,0xf7,0xfe,0xff): return True
    return False
def imm_fields(op, reg):
    """list of immediate field kinds: 'i8','s8'(sign-extended/rel8),'i16'"""
    if op < 0x40 and (op & 7) == 4: return ['i8']
    if op < 0x40 and (op & 7) == 5: return ['i16']
    if op == 0x68: return ['i16']
    if op == 0x69: return ['i16']
    if op == 0x6a: return ['s8']
    if op == 0x6b: return ['s8']
    if 0x70 <= op <= 0x7f: return ['s8']
    if op in (0x80,0x82): return ['i8']
    if op == 0x81: return ['i16']
    if op == 0x83: return ['s8']
    if op == 0x9a: return ['i16','i16']
    if 0xa0 <= op <= 0xa3: return ['i16']
    if op == 0xa8: return ['i8']
    if op == 0xa9: return ['i16']
    if 0xb0 <= op <= 0xb7: return ['i8']
    if 0xb8 <= op <= 0xbf: return ['i16']
    if op in (0xc0,0xc1): return ['i8']
    if op in (0xc2,0xca): return ['i16']
    if op == 0xc6: return ['i8']
    if op == 0xc7: return ['i16']
    if op == 0xc8: return ['i16','i8']
    if op == 0xcd: return ['i8']
    if op in (0xd4,0xd5): return ['i8']
    if 0xe0 <= op <= 0xe3: return ['s8']
    if op in (0xe4,0xe5,0xe6,0xe7): return ['i8']
    if op in (0xe8,0xe9): return ['i16']
    if op == 0xea: return ['i16','i16']
    if op == 0xeb: return ['s8']
    if op == 0xf6 and reg in (0,1): return ['i8']
    if op == 0xf7 and reg in (0,1): return ['i16']
    return []
def parse(b):
    """returns dict: npfx, op, modrm(None|int), mod, rm, reg, disp(0/1/2), imms, fields[(kind, nbytes, offset)] , length"""
    i=0; fields=[]
    while b[i] in PFX: fields.append(('p',1,i)); i+=1
    op=b[i]; fields.append(('op',1,i)); i+=1
    d={'npfx':len(fields)-1,'op':op,'modrm':None,'mod':3,'rm':0,'reg':0,'disp':0}
    if has_modrm(op):
        m=b[i]; d['modrm']=m; d['mod']=m>>6; d['rm']=m&7; d['reg']=(m>>3)&7
        fields.append(('m',1,i)); i+=1
        mod=d['mod']; rm=d['rm']
        disp = 2 if (mod==0 and rm==6) or mod==2 else 1 if mod==1 else 0
        d['disp']=disp
        if disp: fields.append(('d%d'%disp,disp,i)); i+=disp
    for k in imm_fields(op, d['reg']):
        n=2 if k=='i16' else 1
        fields.append((k,n,i)); i+=n
    d['fields']=fields; d['len']=i
    return d

# --- bus, prefetcher, decoder and EU -------------------------------------------
FCLK={'p':[1],'op':[1],'m':[1],'d1':[2],'d2':[1,1],'i8':[1],'s8':[2],'i16':[1,1]}
C_FIRST=3; DEC_LEAD=1; HALT_AFTER=2; ROOM=4
RD=('R','IR','A')
def decode_stream(b):
    d=parse(b)
    out=[]
    for kind,n,off in d['fields']:
        cl=FCLK[kind]
        for j in range(n): out.append((off+j, cl[j]))
    return d, out
def run(b, lin, acc, g, flush=None, tgt=None, maxt=2000):
    """acc: list of (kind, ncycles); g: dict of gaps: 'pre', 'R>R','R>W','R>E','W>W','W>R','W>E', 'E' (no access);
       flush: None or clocks after the last access (or pre) at which the queue is flushed to tgt"""
    d, f1 = decode_stream(b)
    L=d['len']
    t=0; busy=0; trace=[]
    fetch_addr=lin & ~1; arrival={}
    seq=[[(lin+o, c) for o,c in f1], [(lin+L, 1)]]
    di=0; dj=0; dec_free=0
    D0=None; D1=None; consumed=lin; S0=None
    stage='dec'; ai=0; eu_t=None
    biu=[]; waiting=False; flush_at=None; end0=None; after_flush=False
    while t < maxt:
        cons_prev=consumed
        if di < len(seq) and t >= dec_free and (di==0 or (D0 is not None and t >= D0+C_FIRST-DEC_LEAD)):
            addr,cl=seq[di][dj]
            if arrival.get(addr & ~1, 10**9) <= t:
                dec_free=t+cl; consumed=addr+1
                if dj==len(seq[di])-1:
                    if di==0: D0=t+cl
                    else: D1=t+cl
                    di+=1; dj=0
                else: dj+=1
        if stage=='dec' and D0 is not None and t >= D0+C_FIRST:
            S0=t; stage='run'; ai=0
            eu_t = t + (g['pre'] if acc else g['E'])
            last='S'
        if stage=='run' and not waiting and eu_t is not None and t >= eu_t and (not biu or ai >= len(acc)):
            if ai < len(acc) and acc[ai][0]=='J':
                ai+=1
                fetch_addr=tgt & ~1; arrival={}; seq=[seq[0],[(tgt,1)]]; di=1; dj=0; dec_free=t; consumed=tgt; cons_prev=tgt
                D0=-100; after_flush=True; D1=None
                nxt = acc[ai][0][-1] if ai < len(acc) else 'E'
                xi = acc[ai-1][3] if len(acc[ai-1])>3 else 0
                eu_t = t + (g['x6'] if xi else g['J>'+nxt])
                if busy > t: pass
            elif ai < len(acc):
                kind,n=acc[ai][0],acc[ai][1]; ai+=1
                for k in range(n): biu.append([eu_t if k==0 else None, kind, k==n-1, k==0])
                waiting=True; eu_t=None
            else:
                end0=eu_t; stage='idle1'
        if stage=='flush' and t>=flush_at:
            fetch_addr=tgt & ~1; arrival={}; seq=[seq[0],[(tgt,1)]]; di=1; dj=0; dec_free=t; consumed=tgt; cons_prev=tgt
            D0=-100; end0=t; stage='idle1'; after_flush=True
        if stage=='idle1' and D1 is not None:
            s=max(D1+(C_FIRST if after_flush else 0), end0)
            if t>=s:
                stage='halt'; biu.append([t+HALT_AFTER,'H',False,True])
        if busy <= t:
            if biu and biu[0][0] is not None and biu[0][0] <= t:
                r=biu.pop(0); trace.append((t,r[1])); busy=t+2
                if r[1]=='H': return t+1, trace, S0
                if biu and biu[0][0] is None: biu[0][0]=t+2
                nxt = acc[ai][0][-1] if ai < len(acc) else 'E'
                if ai < len(acc) and len(acc[ai])>2 and acc[ai][2]: nxt='J'
                xi = acc[ai-1][3] if len(acc[ai-1])>3 else 0
                if r[1] in RD:
                    if r[2]:
                        waiting=False; eu_t=t+2+(g['x%d'%xi] if xi else g['R>'+nxt])
                elif r[3]:
                    waiting=False; eu_t=t+1+(g['x%d'%xi] if xi else g['W>'+nxt])
                    if biu: waiting=True  # second half of a split write: EU goes on, but next access waits
                    waiting=False
            elif stage!='flush' and not (biu and biu[0][0] is not None and biu[0][0] <= t):
                if fetch_addr - cons_prev <= ROOM:
                    trace.append((t,'F')); arrival[fetch_addr]=t+2; fetch_addr+=2; busy=t+2
        t+=1
    return None, trace, S0

# --- measuring the gaps on a capture --------------------------------------------
RD=('R','IR','A')
def accesses(t):
    """merge split words: consecutive same-kind cycles at a, a+1"""
    out=[]  # [kind, [Ts...], addr]
    for ts,k,a in t['bus']:
        if k in ('F','H'): continue
        if out and out[-1][0]==k and len(out[-1][1])==1 and a==out[-1][2]+1 and (out[-1][2]&1):
            out[-1][1].append(ts); continue
        out.append([k,[ts],a])
    return out
def target(t):
    f=t['fina']; r=t['regs']
    cs=f.get('cs',r['cs']); ip=f.get('ip',r['ip'])
    return (cs*16+ip-1)&0xffffff
def flushes(t):
    d=parse(t['b'])
    return target(t) != t['lin']+d['len']
def subkey(t):
    d=parse(t['b'])
    k=t['key']
    if d['modrm'] is not None: k+= 'r' if d['mod']==3 else 'm'
    if flushes(t): k+='j'
    op=d['op']
    acs=accesses(t)
    if any(len(x[1])>1 for x in acs):
        k+='s'
        if '.' not in t['key']:
            if any(len(x[1])>1 and x[0] in ('R','IR') for x in acs): k+='R'
            if any(len(x[1])>1 and x[0] in ('W','IW') for x in acs): k+='W'
    if ea_extra(d): k+='x'
    if op in (0xa4,0xa5,0xa6,0xa7,0xaa,0xab,0xac,0xad,0xae,0xaf,0x6c,0x6d,0x6e,0x6f) and any(x in (0xf2,0xf3) for x in t['b'][:d['npfx']]): k+='p'
    if op == 0xd6 and (t['regs']['flags'] & 1): k+='c'
    if op == 0x62 and t.get('var'): k+='c'
    if op in (0xc0,0xc1,0xd2,0xd3):
        cnt = t['b'][d['len']-1] if op in (0xc0,0xc1) else t['regs']['cx']&0xff
        k+='n%d'%(cnt&31)
    return k
PER_ITER={0xa4:2,0xa5:2,0xa6:2,0xa7:2,0x6c:2,0x6d:2,0x6e:2,0x6f:2}
def rep_of(t):
    d=parse(t['b'])
    return any(x in (0xf2,0xf3) for x in t['b'][:d['npfx']]) and d['op'] in (0xa4,0xa5,0xa6,0xa7,0xaa,0xab,0xac,0xad,0xae,0xaf,0x6c,0x6d,0x6e,0x6f)
def ea_extra(d):
    return 1 if d['modrm'] is not None and d['mod'] in (1,2) and d['rm']<4 else 0
def measure(t, S0):
    acc=accesses(t)
    halt=[ts for ts,k,a in t['bus'] if k=='H']
    if not halt: return None
    h=halt[0]; g={}
    fl=flushes(t); tgt=target(t)
    d=parse(t['b'])
    if fl:
        fts=[ts for ts,k,a in t['bus'] if k=='F' and a in (tgt, tgt&~1) and ts>=S0]
        if not fts: return None
        # insert the flush before the first access that starts after it
        pos=len(acc)
        for i,(k,tss,a) in enumerate(acc):
            if tss[0]>fts[0]: pos=i; break
        acc.insert(pos,['J',[fts[0]],0])
        g['jpos']=pos
    base=S0; prev='S'
    for i,(k,tss,a) in enumerate(acc):
        kk='R' if k=='A' else k[-1]
        if i==0:
            g['pre']=tss[0]-S0
        if kk=='J': base=tss[0]
        elif k in RD: base=tss[-1]+2
        else: base=tss[0]+1
        xi = i-(len(acc)-6)+1 if t.get('excp') is not None else 0   # 1..6 for W W W R R J
        if i+1 < len(acc):
            nk=acc[i+1][0]; nk='R' if nk=='A' else nk[-1]
            if PER_ITER.get(d['op'],1)==2 and rep_of(t) and (i+1)%2==0: nk='J'
            if xi >= 1:
                g.setdefault('x%d'%xi,[]).append(acc[i+1][1][0]-base)
            else:
                g.setdefault(kk+'>'+nk,[]).append(acc[i+1][1][0]-base)
        prev=kk
    v=h-HALT_AFTER-base
    if acc and t.get('excp') is not None: g['x6']=[v]
    elif acc: g[prev+'>E']=[v]
    else: g['E']=v
    return g, [(k,len(tss)) for k,tss,a in acc], fl, tgt


def load_tests():
    D = DATA.rstrip('/') + '/'
    BS={13:'F',5:'R',6:'W',4:'H',9:'IR',10:'IW',8:'A',0:'A'}
    meta=json.load(open(D+'metadata.json'))['opcodes']
    rev=open(D+'revocation_list.txt').read()
    out=[]
    for fn in sorted(os.listdir(D)):
        if not fn.endswith('.MOO.gz'): continue
        key=fn[:-7]
        st=meta.get(key,{}).get('status','')
        if st in ('fpu','undefined'): continue
        for t in rd(D+fn):
            if t['hash'] in rev: continue
            r=t['init']['regs']
            bus=[(i,BS.get(c[7],'?'),c[1]) for i,c in enumerate(t['cycles']) if c[8]==1]
            var=False
            if key=='62':
                d=parse(t['bytes'])
                if d['mod']!=3:
                    ram={a:v for a,v in t['init']['ram']}
                    rs=[x[1] for x in t['cycles'] if x[8]==1 and x[7]==5]
                    if rs:
                        a0=rs[0]
                        s16=lambda x: x-65536 if x>=32768 else x
                        hi=s16(ram.get(a0+2,0)|(ram.get(a0+3,0)<<8))
                        v=s16(r[['ax','cx','dx','bx','sp','bp','si','di'][d['reg']]])
                        var = v>hi
            out.append(dict(var=var,key=key,name=t['name'],b=t['bytes'],ip=r['ip'],lin=(r['cs']*16+r['ip'])&0xffffff,
                            n=len(t['cycles']),bus=bus,excp=t.get('excp'),regs=r,fina=t['fina'].get('regs',{})))


    return out

def fit_all():
    tests=load_tests()
    keys=None
    sel=[t for t in tests if keys is None or t['key'] in keys]
    meas=collections.defaultdict(list)
    info=[]
    for t in sel:
        _,_,S0=run(t['b'],t['lin'],[],{'E':0})
        m=measure(t,S0)
        sk=subkey(t)
        info.append((t,sk,m))
        if m: meas[sk].append(m[0])
    params={}
    for sk,ms in meas.items():
        g={}; cnt=collections.defaultdict(collections.Counter)
        for m in ms:
            for k,v in m.items():
                vals = v if isinstance(v,list) else [v]
                for x in vals: cnt[k][x]+=1
        for k,c in cnt.items():
            g[k]=c.most_common(1)[0][0]
        for k in ['pre','E','R>R','R>W','R>E','R>J','W>W','W>R','W>E','W>J','J>R','J>W','J>E','J>J','x1','x2','x3','x4','x5','x6']:
            g.setdefault(k,0)
        params[sk]=g
    res=collections.defaultdict(collections.Counter)
    fails=collections.defaultdict(list)
    for t,sk,m in info:
        if m is None:
            res[t['key']]['nomeas']+=1; continue
        g=dict(params[sk])
        acc=[x for x in m[1] if x[0]!='J']
        d_=parse(t['b'])
        if PER_ITER.get(d_['op'],1)==2 and rep_of(t):
            acc=[(k,n,(i>0 and i%2==0)) for i,(k,n) in enumerate(acc)]
        if m[2]: acc.insert(min(g.get('jpos',len(acc)),len(acc)),('J',0))
        if t.get('excp') is not None and len(acc)>=6:
            acc=[(k,n,False,0) if len(a)<3 else (k,n,a[2],0) for a in acc for k,n in [a[:2]]]
            acc=acc[:-6]+[(k,n,it,j+1) for j,(k,n,it,_) in enumerate(acc[-6:])]
        n,tr,_=run(t['b'],t['lin'],acc,g,flush=m[2],tgt=m[3])
        ok=n==t['n']
        res[t['key']][ok]+=1
        if not ok: fails[t['key']].append((t,n,tr,sk))
    tot=sum(c[True] for c in res.values()); all_=sum(sum(c.values()) for c in res.values())
    print('fitted programs replay %d of %d tests exactly (%.2f%%)'%(tot,all_,100*tot/all_), file=sys.stderr)


    return params

# --- the header -------------------------------------------------------------------
params=fit_all()
FROM='RWJ'; TO='RWJE'
rows={}
def parse_sk(sk):
    m=re.match(r'^([0-9A-F]{2})(?:\.(\d))?([rm]?)(j?)(s?)(R?)(W?)(x?)(p?)(c?)(?:n(\d+))?$', sk)
    if not m: return None
    op=int(m.group(1),16); reg=int(m.group(2)) if m.group(2) else 0
    mem=m.group(3)=='m'; j=m.group(4)=='j'; s=m.group(5)=='s'; n=int(m.group(11)) if m.group(11) else None
    x=m.group(8)=='x'; v=m.group(9)=='p' or m.group(10)=='c'
    if m.group(6): reg|=1
    if m.group(7): reg|=2
    return op,reg,mem,j,s,n,x,v
for sk,g in params.items():
    p=parse_sk(sk)
    if p is None: print('skip',sk,file=sys.stderr); continue
    op,reg,mem,j,s,n,x,v=p
    shift0=v
    if n is not None:
        if n==0: shift0=True
        elif n==1: pass
        else: continue
    key=op | (reg<<9) | (mem<<12) | (s<<13) | (j<<14) | (shift0<<15) | (x<<16)
    gaps=[[g.get(f+'>'+t,0) for t in TO] for f in FROM]
    rows[key]=(g.get('pre',0), g.get('E',0), gaps, sk, g.get('jpos',0), [g.get('x%d'%i, g.get(dk,0)) for i,dk in zip(range(1,7),['W>W','W>W','W>R','R>R','R>J','J>E'])])
out=[]
out.append('/* biu_286_params.h: fitted EU programs of the 80286 bus model (biu_286.c),')
out.append(' * generated by scripts/fit-286-bus.py from the SingleStepTests 80286 real-mode')
out.append(' * captures: per opcode (group: reg field), register/memory form, odd-address')
out.append(' * accesses, control transfer or exception, base+index+displacement and a')
out.append(' * variant, the clocks from the EU start to the first bus request (pre) or to')
out.append(' * the end (e, no bus access), and the gaps between accesses: after a read')
out.append(' * (from its data), after a write (from its first Ts + 1) or after the queue')
out.append(' * flush, to the next read, write, flush or the end. Do not edit by hand. */')
out.append('#ifndef CW_BIU_286_PARAMS_H\n#define CW_BIU_286_PARAMS_H\n')
out.append('#include <stdint.h>\n')
out.append('struct b286_prog_entry {\n    uint32_t key; /* op | reg << 9 (groups: the reg field; others: 1 an odd-address read, 2 an odd-address write) | mem << 12 | split << 13 | flush << 14 | variant << 15 | base+index+disp << 16; variant: shift count 0, REP string, SALC with CF */\n    int8_t pre, e;\n    int8_t jpos; /* accesses before the queue flush */\n    int8_t gap[3][4]; /* [R W J][R W J E] */\n    int8_t exc[6];    /* exception entry: after its three pushes, two vector reads, the flush */\n};\n')
out.append('static const struct b286_prog_entry b286_progs[] = {')
for key in sorted(rows):
    pre,e,gaps,sk,jpos,xg=rows[key]
    gs=', '.join('{ %s }'%', '.join(str(x) for x in r) for r in gaps)
    out.append('    { 0x%05x, %d, %d, %d, { %s }, { %s } }, /* %s */'%(key,pre,e,jpos,gs,', '.join(str(x) for x in xg),sk))
out.append('};\n\n#endif')
sys.stdout.write('\n'.join(out)+'\n')
