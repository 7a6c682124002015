"""The byte-permute E8P tensor-core kernel (`_glq_mm_e8p_kernel`, `E8P_TC`) against what the dispatch ran before it (the E8P
nibble matvec up to batch 8, dequantize + cuBLAS above; for E8P + 256-point layers the generic matvec at batch 1) and bf16
`F.linear`, the product alone (partial sums, no RHT), Llama-3-8B layer shapes at 2 bpw (E8P), 3 bpw (E8P + the 256-point
codebook) and 4 bpw (E8P + E8P). 8 layer copies per CUDA graph so the indices come from HBM, median with L2 flushed
(`_timing.graph_bench`). Every row is checked against the float64 reference of the same indices and for bit-identical output
across two calls; awkward shapes (no tile divides them) are checked first. Prints a table, the fastest variant per batch
summed over shapes and rates, and writes JSON to --out.

Usage: PYTHONPATH=. python3 benchmarks/bench_e8p_mm.py --out DIR [--batches 2,4,16,64,256] [--variants before,tc,...] [--name e8p_mm_h200.json]"""
import argparse, itertools, json, os, datetime
import torch, triton
import torch.nn.functional as F
from _timing import graph_bench
from glq.codebook import E8PCodebook, E8SmallCodebook
from glq.inference_kernel import plan_matmul, glq_matmul_partials, glq_dequant_matmul_ref

VARIANTS = {  # name -> plan_matmul overrides on the 'mm' path of an E8P-first layer; 'before': the dispatch without E8P_TC
    'before': None,
    'tc': dict(),                                               # the library's default tile (session 7 run 1: BM 64, BK8 16, 3 stages, int16 loads)
    'tc_bm128_w8': dict(BM=128, num_warps=8),
    'tc_bk32': dict(BK8=32),
    'tc_bk8_s4': dict(BK8=8, num_stages=4),
    'tc_bm128_bk8_s4': dict(BM=128, BK8=8, num_stages=4),
    'tc_bm32': dict(BM=32),
    'tc_wv8': dict(waves=8.0),
    'tc_w64': dict(W64=1),                                      # indices read as int64 words of four
    'tc_w64_bk32': dict(W64=1, BK8=32),
    'tc_bk8_s5': dict(BK8=8, num_stages=5),
    'tc_bk8_s2': dict(BK8=8, num_stages=2),
    'tc_bm32_bk8_s4': dict(BM=32, BK8=8, num_stages=4),
    'tc_w64_bk8_s4': dict(W64=1, BK8=8, num_stages=4),
    'tc_bm128_w4_bk8_s4': dict(BM=128, BK8=8, num_stages=4),
    'w64_bk16_s4': dict(W64=1, BK8=16, num_stages=4), 'w64_bk8_s3': dict(W64=1, BK8=8, num_stages=3),
    'w64_bk8_s5': dict(W64=1, BK8=8, num_stages=5), 'w64_bm128_w8': dict(W64=1, BM=128, BK8=8, num_stages=4, num_warps=8),
    'w64_bm128_w4': dict(W64=1, BM=128, BK8=8, num_stages=4), 'w64_wv8': dict(W64=1, BK8=8, num_stages=4, waves=8.0),
    'w64_bm32': dict(W64=1, BM=32, BK8=8, num_stages=4), 'w64_wv2': dict(W64=1, BK8=8, num_stages=4, waves=2.0),
    'tc_packed_small': dict(SP=0),    # 3 bpw: the 256-point stage from the packed nibble table (runs 1-4) instead of small_pair_table
    'tc_smt0': dict(SMT=0),           # 2026-12-04 (e8p_mm_smem_h200.json): the tables through L1, as before E8P_TC_SMEM
    'tc_smt1': dict(SMT=1),           # ... and from shared memory
    'dispatch': 'dispatch',           # what plan_matmul picks (any path)
}
RATES = {2: 'EP', 3: 'EP+SMALL', 4: 'EP+EP'}

def stages(bpw, m, n, dev):
    ep, sm = E8PCodebook(), E8SmallCodebook()
    cbs = {2: [ep], 3: [ep, sm], 4: [ep, ep]}[bpw]
    Qs = [torch.randint(0, 256, (m, n // 8), dtype=torch.uint8, device=dev) if c is sm else
          torch.randint(-32768, 32768, (m, n // 8), dtype=torch.int16, device=dev) for c in cbs]
    return Qs, cbs, torch.tensor([0.26][:len(cbs) - 1], device=dev)

def kinds(cbs, tc=True):
    from glq.inference_kernel import _e8p_kinds
    k = _e8p_kinds(cbs)
    if not tc: k['e8p_first'] = False
    return k

def plan(name, B, m, n, cbs):
    if VARIANTS[name] is None: return plan_matmul(B, m, n, len(cbs), **kinds(cbs, tc=False))
    if VARIANTS[name] == 'dispatch': return plan_matmul(B, m, n, len(cbs), **kinds(cbs))
    return plan_matmul(B, m, n, len(cbs), 'mm', **kinds(cbs), **VARIANTS[name])

def ref_of(x, Qs, cbs, rs, dev):
    return glq_dequant_matmul_ref(x.double(), Qs[0], cbs[0], torch.tensor([1.0], device=dev), Qs[1] if len(Qs) > 1 else None,
                                  cbs[1] if len(cbs) > 1 else None, resid_scale=rs)

def run(x, Qs, cbs, rs, P): return glq_matmul_partials(x, Qs, cbs, rs, P).sum(0).double() * 0.5

def awkward(dev):
    "The tensor-core kernel against float64 on shapes no tile divides, batch 1-100, every rate: the worst relative error."
    worst = 0.0
    for bpw, (m, n), B in itertools.product(RATES, ((200, 352), (72, 520), (1000, 136)), (1, 2, 5, 17, 100)):
        Qs, cbs, rs = stages(bpw, m, n, dev); x = torch.randn(B, n, device=dev, dtype=torch.float16)
        y = run(x, Qs, cbs, rs, plan('tc', B, m, n, cbs)); r = ref_of(x, Qs, cbs, rs, dev)
        worst = max(worst, ((y - r).norm() / r.norm()).item())
    return worst

def main():
    ap = argparse.ArgumentParser(); ap.add_argument('--out', default='.'); ap.add_argument('--batches', default='2,4,16,64,256')
    ap.add_argument('--variants', default=','.join(VARIANTS)); ap.add_argument('--shapes', default='14336x4096,4096x14336,4096x4096,1024x4096')
    ap.add_argument('--rates', default='2,3,4'); ap.add_argument('--name', default='e8p_mm_h200.json', help='result file under --out')
    a = ap.parse_args()
    dev = 'cuda'; rows = []
    aw = awkward(dev); print(f'awkward shapes (batch 1-100, 2/3/4 bpw): worst rel err {aw:.2e}', flush=True)
    for (m, n), bpw, B in itertools.product([tuple(map(int, sh.split('x'))) for sh in a.shapes.split(',')],
                                            [int(r) for r in a.rates.split(',')], [int(b) for b in a.batches.split(',')]):
        copies = [stages(bpw, m, n, dev) for _ in range(8)]
        Qs, cbs, rs = copies[0]
        x = torch.randn(B, n, device=dev, dtype=torch.float16)
        ref = ref_of(x, Qs, cbs, rs, dev)
        Ws = [torch.randn(m, n, device=dev, dtype=torch.bfloat16) for _ in range(min(8, max(2, -(-150_000_000 // (2 * m * n)))))]
        xb = x.to(torch.bfloat16)
        bf16 = graph_bench([lambda W=W: F.linear(xb, W) for W in Ws]); del Ws
        for name in a.variants.split(','):
            P = plan(name, B, m, n, cbs)
            try:
                y1 = glq_matmul_partials(x, Qs, cbs, rs, P)
                det = bool(torch.equal(y1, glq_matmul_partials(x, Qs, cbs, rs, P)))
                y = y1.sum(0).double() * 0.5
                err = ((y - ref).norm() / ref.norm()).item(); nan = bool(torch.isnan(y1).any())
                us = graph_bench([lambda c=c: glq_matmul_partials(x, c[0], c[1], c[2], P) for c in copies])
            except Exception as e:              # a tile the compiler or the SM cannot take: a row saying so
                print(f'{m}x{n} {bpw}bpw B{B} {name}: FAILED {type(e).__name__}: {str(e)[:200]}', flush=True)
                rows.append(dict(out=m, **{'in': n}, bpw=bpw, batch=B, variant=name, error=f'{type(e).__name__}: {str(e)[:300]}'))
                continue
            r = dict(out=m, **{'in': n}, bpw=bpw, batch=B, variant=name, plan={k: v for k, v in P.items()}, us=round(us, 2),
                     bf16_us=round(bf16, 2), speedup=round(bf16 / us, 3), rel_err=err, deterministic=det, nan=nan)
            rows.append(r)
            print(f"{m:5d}x{n:<5d} {bpw}bpw B{B:<4d} {name:16s}: {us:8.2f} us  bf16 {bf16:7.2f}  x{bf16/us:5.2f}  err {err:.1e}  det {det}"
                  f"  [{P['path']} BM{P.get('BM')} BB{P.get('BB')} BK8{P.get('BK8')} w{P.get('num_warps')} split{P.get('split')}]", flush=True)
    ok = [r for r in rows if 'us' in r]
    bad = [r for r in ok if r['rel_err'] > 2e-3 or r['nan'] or not r['deterministic']]
    tot = {}
    for r in ok: tot.setdefault(r['batch'], {}).setdefault(r['variant'], 0); tot[r['batch']][r['variant']] += r['us']
    for B, t in tot.items():
        print(f'batch {B} totals (us):', {k: round(v, 1) for k, v in sorted(t.items(), key=lambda kv: kv[1])})
    best = {}
    for r in ok: best.setdefault((r['out'], r['in'], r['bpw'], r['batch']), []).append((r['us'], r['variant']))
    for k, v in best.items(): print('fastest', k, sorted(v)[:3])
    os.makedirs(a.out, exist_ok=True)
    json.dump(dict(rows=rows, awkward_worst_rel_err=aw, totals={str(k): v for k, v in tot.items()}, variants=VARIANTS, failures=bad,
                   gpu=torch.cuda.get_device_name(), date=datetime.datetime.now().isoformat(timespec='seconds'),
                   command=f'PYTHONPATH=. python3 benchmarks/bench_e8p_mm.py --out $OUT --batches {a.batches} --variants {a.variants} --shapes {a.shapes} --rates {a.rates}',
                   software=dict(torch=torch.__version__, triton=triton.__version__)),
              open(os.path.join(a.out, a.name), 'w'), indent=1)
    print('FAILURES', len(bad) + (aw > 2e-3), bad[:5])

if __name__ == '__main__': main()
