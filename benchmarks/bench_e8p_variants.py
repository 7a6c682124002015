"""E8P matvec variants on a CUDA GPU, the matvec alone (partial sums), Llama-3-8B layer shapes, 1 and 2 stages (2 and 4 bpw),
batch 1, 2, 4 and 8, 8 layer copies per CUDA graph so the indices come from HBM, median with L2 flushed (`_timing.graph_bench`).

Variants: the nibble-word kernel `_glq_mv_e8p_kernel` with PTX popc parity (the default until E8P_PAIRS; `PF` = software prefetch,
measured slower on 2026-11-29 and kept as a row), the byte-permute kernel `_glq_mv_e8p_pairs_kernel` (`PAIRS`, see
nbs/12 and e8p_pair_table) at several tiles and warps,
and `plan`: whatever plan_matmul dispatches. Every row is checked against the float64 reference of the same indices
(relative error) and for bit-identical output across two calls. bf16 `F.linear` on the same shape is timed in the same run.
Prints a table, the fastest variant per batch summed over shapes and rates (`BEST ...`), and writes JSON to --out.

Usage: PYTHONPATH=. python3 benchmarks/bench_e8p_variants.py --out DIR [--batches 1,2,4,8] [--variants plan,nibble,...]"""
import argparse, itertools, json, os, datetime
import torch, triton
import torch.nn.functional as F
from _timing import graph_bench
from glq.codebook import E8PCodebook
from glq.inference_kernel import plan_matmul, glq_matmul_partials, glq_dequant_matmul_ref

VARIANTS = {  # name -> plan overrides (BM, BK8, num_warps apply to both kernels; BK8 = 4 x the pairs kernel's BK32)
    'plan': dict(),                         # what plan_matmul picks (the library's dispatch)
    'nibble': dict(PAIRS=0),
    'nibble_pf': dict(PAIRS=0, PF=1),
    'pairs': dict(PAIRS=1, num_warps=4),
    'pairs_bm64': dict(PAIRS=1, BM=64, num_warps=4),
    'pairs_bk128': dict(PAIRS=1, BK8=128, num_warps=4),
    'pairs_w8': dict(PAIRS=1, num_warps=8),
    'pairs_bm64_w8': dict(PAIRS=1, BM=64, num_warps=8),
    # run 2 also had CH=2 (two fp16x2 chains per word) and SPLIT (a separate decode block): no faster, removed from the kernel
    'nibble_bk32': dict(PAIRS=0, BK8=32), 'nibble_bk16': dict(PAIRS=0, BK8=16),      # narrower K tiles: more K splits, more programs
    'pairs_bk32': dict(PAIRS=1, BK8=32, num_warps=4), 'pairs_bk16': dict(PAIRS=1, BK8=16, num_warps=4),
    'pairs_w8_bk32': dict(PAIRS=1, BK8=32, num_warps=8), 'pairs_w8_bk16': dict(PAIRS=1, BK8=16, num_warps=8),
    'nibble_bk16_wv8': dict(PAIRS=0, BK8=16, waves=8.0), 'pairs_w8_bk16_wv8': dict(PAIRS=1, BK8=16, num_warps=8, waves=8.0),
    # 2026-12-03 (ncu: 14336x4096 at 2 bpw ran 896 programs, 0.8 of one wave of resident programs): more K splits or shorter row tiles
    'pairs_wv6': dict(PAIRS=1, waves=6.0), 'pairs_wv8': dict(PAIRS=1, waves=8.0), 'pairs_wv12': dict(PAIRS=1, waves=12.0),
    'pairs_bm16': dict(PAIRS=1, BM=16), 'pairs_bm16_wv8': dict(PAIRS=1, BM=16, waves=8.0), 'pairs_bm16_w2': dict(PAIRS=1, BM=16, num_warps=2),
    'pairs_bk32_wv8': dict(PAIRS=1, BK8=32, waves=8.0),
}

def awkward(ep, dev):
    "Both kernels against float64 on shapes no tile divides (m = 200, n = 352, 32 x 11), batch 1-8: the worst relative error."
    worst = 0.0
    for nst, B, pairs in itertools.product((1, 2), (1, 3, 8), (0, 1)):
        Qs = [torch.randint(-32768, 32768, (200, 44), dtype=torch.int16, device=dev) for _ in range(nst)]
        rs = torch.tensor([0.26][:nst - 1], device=dev); x = torch.randn(B, 352, device=dev, dtype=torch.float16)
        ref = glq_dequant_matmul_ref(x.double(), Qs[0], ep, torch.tensor([1.0], device=dev), Qs[1] if nst > 1 else None,
                                     ep if nst > 1 else None, resid_scale=rs)
        P = plan_matmul(B, 200, 352, nst, 'mv', e8p=True); P['PAIRS'] = pairs
        y = glq_matmul_partials(x, Qs, [ep] * nst, rs, P).sum(0).double() * 0.5
        worst = max(worst, ((y - ref).norm() / ref.norm()).item())
    return worst

def main():
    ap = argparse.ArgumentParser(); ap.add_argument('--out', default='.'); ap.add_argument('--batches', default='1,2,4,8'); ap.add_argument('--variants', default=','.join(VARIANTS)); ap.add_argument('--shapes', default='14336x4096,4096x14336,4096x4096,1024x4096')
    a = ap.parse_args()
    ep = E8PCodebook(); dev = 'cuda'; rows = []
    aw = awkward(ep, dev); print(f'awkward shapes (200 x 352, batch 1/3/8, both kernels): worst rel err {aw:.2e}', flush=True)
    for (m, n), nst, B in itertools.product([tuple(map(int, sh.split('x'))) for sh in a.shapes.split(',')], (1, 2),
                                            [int(b) for b in a.batches.split(',')]):
        Qs8 = [[torch.randint(-32768, 32768, (m, n // 8), dtype=torch.int16, device=dev) for _ in range(nst)] for _ in range(8)]
        rs = torch.tensor([0.26][:nst - 1], device=dev)
        x = torch.randn(B, n, device=dev, dtype=torch.float16)
        ref = glq_dequant_matmul_ref(x.double(), Qs8[0][0], ep, torch.tensor([1.0], device=dev), Qs8[0][1] if nst > 1 else None,
                                     ep if nst > 1 else None, resid_scale=rs)
        Ws = [torch.randn(m, n, device=dev, dtype=torch.bfloat16) for _ in range(min(8, max(2, -(-150_000_000 // (2 * m * n)))))]
        xb = x.to(torch.bfloat16)
        bf16 = graph_bench([lambda W=W: F.linear(xb, W) for W in Ws]); del Ws
        for name in a.variants.split(','):
            ov = VARIANTS[name]
            cfg = {k: v for k, v in ov.items() if k in ('BM', 'BK8', 'num_warps', 'waves')}
            P = plan_matmul(B, m, n, nst, 'mv', e8p=True, **cfg); P.update({k: v for k, v in ov.items() if k not in cfg})
            y1 = glq_matmul_partials(x, Qs8[0], [ep] * nst, rs, P)
            det = bool(torch.equal(y1, glq_matmul_partials(x, Qs8[0], [ep] * nst, rs, P)))
            y = y1.sum(0).double() * 0.5
            err = ((y - ref).norm() / ref.norm()).item(); nan = bool(torch.isnan(y1).any())
            us = graph_bench([lambda Q=Q: glq_matmul_partials(x, Q, [ep] * nst, rs, P) for Q in Qs8])
            r = dict(out=m, **{'in': n}, stages=nst, batch=B, variant=name, BM=P['BM'], BK8=P['BK8'], num_warps=P['num_warps'],
                     split=P['split'], us=round(us, 2), bf16_us=round(bf16, 2), rel_err=err, deterministic=det, nan=nan)
            rows.append(r)
            print(f"{m:5d}x{n:<5d} st{nst} B{B} {name:14s}: {us:7.2f} us  bf16 {bf16:6.2f}  x{bf16/us:4.2f}  err {err:.1e}  det {det}", flush=True)
    bad = [r for r in rows if r['rel_err'] > 2e-3 or r['nan'] or not r['deterministic']]
    tot = {}
    for r in rows: tot.setdefault(r['batch'], {}).setdefault(r['variant'], 0); tot[r['batch']][r['variant']] += r['us']
    best = {}
    for r in rows: best.setdefault((r['out'], r['in'], r['stages'], r['batch']), []).append((r['us'], r['variant']))
    for k, v in best.items(): print('fastest', k, sorted(v)[:3])
    for B, t in tot.items():
        print(f'batch {B} totals (us):', {k: round(v, 1) for k, v in sorted(t.items(), key=lambda kv: kv[1])})
        print(f'BEST batch {B}: {min(t, key=t.get)}')
    os.makedirs(a.out, exist_ok=True)
    json.dump(dict(rows=rows, awkward_worst_rel_err=aw, totals={str(k): v for k, v in tot.items()}, variants=VARIANTS, failures=bad, gpu=torch.cuda.get_device_name(),
                   date=datetime.datetime.now().isoformat(timespec='seconds'),
                   command=f'PYTHONPATH=. python3 benchmarks/bench_e8p_variants.py --out $OUT --batches {a.batches} --variants {a.variants} --shapes {a.shapes}',
                   software=dict(torch=torch.__version__, triton=triton.__version__)),
              open(os.path.join(a.out, 'e8p_variants_h200.json'), 'w'), indent=1)
    print('FAILURES', len(bad) + (aw > 2e-3), bad[:5])

if __name__ == '__main__': main()
