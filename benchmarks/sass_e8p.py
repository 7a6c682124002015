"""Instruction count of the E8P matvec's inner loop, without a GPU: compiles `_glq_mv_e8p_kernel` for sm_90 with the
ptxas that Triton bundles, disassembles it with Triton's nvdisasm, and counts the SASS instructions of the largest basic
block (the K loop) per index, plus registers and spills. The numbers in KERNEL_NOTES.md (E) come from this script.

--pairs 1 counts `_glq_mv_e8p_pairs_kernel` instead (byte-permute decode, E8P_PAIRS; BK8 = 4 x its BK32; with --nst 2 --sp 1
its second stage is the 256-point codebook, E8P_PAIRS_SMALL; --g 2|3: the merged launch of 2-3 siblings, MERGE_GROUPS; --smt 1: the pair tables read from shared memory, E8P_SMEM;
--fin 1 [--fin_na 2 --fin_la 32 --fin_lb 64]: the input RHT fused in, FUSE_IN).
--tc 1 counts the tensor-core kernel `_glq_mm_e8p_kernel` (E8P_TC; --w64 1: index words of four, --stages: software pipeline
depth, --nst 2 --sp 1: a 256-point second stage by byte permutes; --smt 1 (with --w64 1): tables in shared memory, E8P_TC_SMEM; KERNEL_NOTES.md G: `--tc 1 --bm 64 --bb 16 --bk8 16 --stages 3` and `--tc 1 --w64 1 --bm 64 --bb 16 --bk8 8 --stages 3`).

--rht N [--rs RS --cs CS --warps W]: registers, spills and mma instructions of the prefill RHT kernels at width N instead
(KERNEL_NOTES N: `--rht 14336 --rs 4 --cs 4 --warps 8`).

Usage: python benchmarks/sass_e8p.py [--bb 1] [--bm 32] [--bk8 64] [--warps 4] [--nst 1] [--pf 0] [--popc 1] [--pairs 0]
       [--tc 0] [--w64 0] [--stages 3] [--sp 0] [--smt 0] [--fin 0] [--rht 0 --rs 1 --cs 1]"""
import argparse, collections, os, re, subprocess, tempfile
import triton
from triton.backends.compiler import GPUTarget
from triton.compiler import ASTSource
from glq import inference_kernel as K

NAMES = ['x_ptr', 'xp_ptr', 'q1_ptr', 'q2_ptr', 't_ptr', 'rs_ptr', 'out_ptr', 'B', 'M', 'N8', 'k8_split',
         'stride_xb', 'stride_xpb', 'stride_q', 'stride_os', 'stride_ob']
TYPES = ['*fp16', '*i32', '*i16', '*i16', '*i32', '*fp32', '*fp32'] + ['i32'] * 9

def main():
    ap = argparse.ArgumentParser()
    for k, v in dict(bb=1, bm=32, bk8=64, warps=4, nst=1, pf=0, popc=1, pairs=0, tc=0, w64=0, stages=3, sp=0, g=1, smt=0, fin=0, fin_na=2, fin_la=32, fin_lb=64).items(): ap.add_argument(f'--{k}', type=int, default=v)
    ap.add_argument('--dump', default='', help='also write the whole SASS to this file (to diff two builds)')
    ap.add_argument('--rht', type=int, default=0, help='instead: the prefill RHT of this width, kron kernel and split kernel (--rs, --cs)')
    ap.add_argument('--rs', type=int, default=1); ap.add_argument('--cs', type=int, default=1)
    a = ap.parse_args()
    if a.rht: return rht(a)
    sig = dict(zip(NAMES, TYPES)); sig.update({k: 'constexpr' for k in ('BB', 'BM', 'BK8', 'NST', 'ASM', 'CM', 'PF', 'POPC', 'PDL', 'PFL')})
    div = [i for i, n in enumerate(NAMES) if n not in ('B', 'M', 'N8', 'k8_split', 'stride_xb')]   # 16-divisible at run time
    src = ASTSource(fn=K._glq_mv_e8p_kernel, signature=sig, attrs={(i,): [['tt.divisibility', 16]] for i in div},
                    constexprs=dict(BB=a.bb, BM=a.bm, BK8=a.bk8, NST=a.nst, ASM=True, CM='', PF=a.pf, POPC=a.popc, PDL=0, PFL=0))
    if a.pairs:
        names = ['xp_ptr', 'q1_ptr', 'q2_ptr', 't_ptr', 't2_ptr', 'rs_ptr', 'out_ptr', 'B', 'M', 'N32', 'k32_split',
                 'stride_xpb', 'stride_q', 'stride_os', 'stride_ob', 'qb1_ptr', 'qb2_ptr', 'qc1_ptr', 'qc2_ptr', 'rsb_ptr', 'rsc_ptr',
                 'MA', 'MB', 'stride_xg']
        q2t = '*i32' if a.sp else '*i64'
        sig = dict(zip(names, ['*i32', '*i64', q2t, '*i64', '*i64', '*fp32', '*fp32'] + ['i32'] * 8 + ['*i64', q2t, '*i64', q2t, '*fp32', '*fp32'] + ['i32'] * 3))
        sig.update(x_ptr='*bf16', sv_ptr='*u8', hf_ptr='*fp16', stride_svg='i32')     # the fused input RHT's operands (FIN)
        na, la, lb = (a.fin_na, a.fin_la, a.fin_lb) if a.fin else (1, 16, 16)
        fin = dict(FIN=a.fin, NA=na, LA=la, LB=lb, S0=na ** -0.5, S1=la ** -0.5, S2F=lb ** -0.5, PREC='tf32')
        sig.update({k: 'constexpr' for k in ('BB', 'BM', 'BK32', 'NST', 'S2', 'G', 'PDL', 'PFL', 'ASM', 'SMT', *fin)})
        div = [i for i, n in enumerate(names) if n not in ('B', 'M', 'N32', 'k32_split')]
        src = ASTSource(fn=K._glq_mv_e8p_pairs_kernel, signature=sig, attrs={(i,): [['tt.divisibility', 16]] for i in div},
                        constexprs=dict(BB=a.bb, BM=a.bm, BK32=a.bk8 // 4, NST=a.nst, S2=a.sp, G=a.g, PDL=0, PFL=0, ASM=1, SMT=a.smt, **fin))
    if a.tc:
        qt = '*i64' if a.w64 else '*i16'
        names = ['x_ptr', 'q1_ptr', 'q2_ptr', 't_ptr', 'l2_ptr', 'rs_ptr', 'out_ptr', 'B', 'M', 'N8', 'k8_split',
                 'stride_xb', 'stride_q', 'stride_os', 'stride_ob']
        q2t = ('*i32' if a.w64 else '*u8') if a.sp else qt
        sig = dict(zip(names, ['*fp16', qt, q2t, '*i64', '*i64' if a.sp else '*i32', '*fp32', '*fp32'] + ['i32'] * 8))
        sig.update({k: 'constexpr' for k in ('BM', 'BB', 'BK8', 'NST', 'M2', 'DOT', 'ASM', 'W64', 'SP', 'PDL', 'PFL', 'SMT')})
        div = [i for i, n in enumerate(names) if n not in ('B', 'M', 'N8', 'k8_split')]
        src = ASTSource(fn=K._glq_mm_e8p_kernel, signature=sig, attrs={(i,): [['tt.divisibility', 16]] for i in div},
                        constexprs=dict(BM=a.bm, BB=a.bb, BK8=a.bk8, NST=a.nst, M2=0xFF if a.sp else 1, DOT=K.tl.float16, ASM=True,
                                        W64=a.w64, SP=a.sp, PDL=0, PFL=0, SMT=a.smt))
    k = triton.compile(src, target=GPUTarget('cuda', 90, 32), options={'num_warps': a.warps, 'num_stages': a.stages})
    bin_ = os.path.join(os.path.dirname(triton.__file__), 'backends', 'nvidia', 'bin')
    with tempfile.NamedTemporaryFile(suffix='.cubin') as f:
        f.write(k.asm['cubin']); f.flush()
        sass = subprocess.run([os.path.join(bin_, 'nvdisasm'), '-c', f.name], capture_output=True, text=True, check=True).stdout
        res = subprocess.run([os.path.join(bin_, 'cuobjdump'), '-res-usage', f.name], capture_output=True, text=True).stdout
    if a.dump: open(a.dump, 'w').write(sass)
    lines = sass.splitlines()
    labels = [i for i, l in enumerate(lines) if re.match(r'^\.L_x_\d+:', l)]
    loop = max(([l for l in lines[s+1:e] if '/*' in l] for s, e in zip(labels, labels[1:] + [len(lines)])), key=len)
    ops = collections.Counter(re.sub(r'^\s*/\*[0-9a-f]+\*/\s*(@!?U?P\w+\s+)?', '', l).split()[0].split('.')[0] for l in loop)
    per_thread = a.bm * a.bk8 / (32 * a.warps)
    print(' '.join(re.findall(r'REG:\d+|STACK:\d+|LOCAL:\d+', res)))
    print(f"loop: {len(loop)} instructions per thread per iteration, {per_thread:.0f} indices per thread (x{a.bb} rows) "
          f"-> {len(loop) / per_thread:.1f} per index")
    print(sorted(ops.items(), key=lambda kv: -kv[1])[:20])

def rht(a):
    """Registers, stack (spills) and mma instructions (mma.sync HMMA / wgmma HGMMA) of the prefill RHT kernels for width a.rht:
    the kron kernel (one row per program, BN = Q) and `_rht_kron_split_kernel` with RS = a.rs, CS = a.cs (input side, fp16)."""
    P = K._rht_plan_cpu(a.rht)
    names = ['in_ptr', 'out_ptr', 'sign_ptr', 'bias_ptr', 'scale_ptr', 'hr_ptr', 'mt_ptr', 'n_split', 'n_rows', 'stride_split',
             'stride_in', 'stride_out', 'scale', 'in_rows', 'stride_sign', 'sign_rows']
    types = ['*bf16', '*fp16', '*u8', '*fp16', '*fp32', '*fp16', '*fp16'] + ['i32'] * 5 + ['fp32'] + ['i32'] * 3
    base = dict(R=P['KR'], Q=P['KQ'], RP=P['KRP'], QP=P['KQP'], SIGN_IN=True, HAS_BIAS=False, HAS_SCALE_PTR=False, PREC='tf32', HALF=True,
                PDL=0, GS=0, DT2=1)
    QC = P['KQ'] // a.cs
    for name, fn, cons in (('kron', K._rht_kron_kernel, dict(base, BN=P['KQP'], BK=min(64, P['KQP']), BB=1, RL=1)),
                           (f'split {a.rs}x{a.cs}', K._rht_kron_split_kernel, dict(base, RS=a.rs, CS=a.cs, QCP=max(16, K._p2(QC))))):
        sig = dict(zip(names, types)); sig.update({k: 'constexpr' for k in cons})
        div = [i for i, n in enumerate(names) if n.endswith('ptr') or n in ('stride_in', 'stride_out')]
        src = ASTSource(fn=fn, signature=sig, attrs={(i,): [['tt.divisibility', 16]] for i in div}, constexprs=cons)
        k = triton.compile(src, target=GPUTarget('cuda', 90, 32), options={'num_warps': a.warps, 'num_stages': 1})
        bin_ = os.path.join(os.path.dirname(triton.__file__), 'backends', 'nvidia', 'bin')
        with tempfile.NamedTemporaryFile(suffix='.cubin') as f:
            f.write(k.asm['cubin']); f.flush()
            sass = subprocess.run([os.path.join(bin_, 'nvdisasm'), '-c', f.name], capture_output=True, text=True, check=True).stdout
            res = subprocess.run([os.path.join(bin_, 'cuobjdump'), '-res-usage', f.name], capture_output=True, text=True).stdout
        ins = [l for l in sass.splitlines() if re.search(r'/\*[0-9a-f]{4}\*/', l)]
        usage = ' '.join(re.findall(r'REG:\d+|STACK:\d+', res))
        hmma, hgmma = sum('HMMA' in l for l in ins), sum('HGMMA' in l for l in ins)
        print(f"{a.rht} {name} w{a.warps}: {usage}, {len(ins)} instructions, HMMA {hmma}, HGMMA {hgmma}")

if __name__ == '__main__': main()
