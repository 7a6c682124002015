"""Batch 2-8 (speculative decoding, small-batch serving) on a CUDA GPU: which kernel should multiply E8P layers there.
The product alone (partial sums), Llama-3-8B shapes, 2 bpw (one E8P stage), 3 bpw (E8P + 256-point) and 4 bpw (two E8P
stages), against bf16 `F.linear` in the same run; 8 layer copies per CUDA graph, L2 flushed, medians (`_timing.graph_bench`).

Candidates per row: `plan` (what plan_matmul dispatches today), `pairs` (the byte-permute matvec with BB batch rows per
program, `S2` for 3 bpw; BK8 16/32/64), `pairs_smt` (the same with the pair tables in shared memory), `tc` (the byte-permute
tensor-core kernel, `SP` for 3 bpw), `nibble` (the nibble-word matvec; 2 and 4 bpw only), `dequant` (dequantize + cuBLAS).
Every candidate is checked against float64 (relative error <= 2e-3), for NaN and for bit-identical reruns before it is timed.
Prints a table, the fastest candidate per (bpw, batch) summed over the shapes, and writes JSON to --out.

Usage: PYTHONPATH=. python3 benchmarks/bench_small_batch.py --out DIR [--batches 2,3,4,8] [--bpws 2,3,4] [--rep 20] [--variants plan,tc,...]"""
import argparse, json, os, datetime
import torch, triton
import torch.nn.functional as F
from _timing import graph_bench
from glq.codebook import E8PCodebook, E8SmallCodebook
from glq.inference_kernel import plan_matmul, glq_matmul_partials, glq_dequant_matmul_ref, _e8p_kinds

EP, SM = E8PCodebook(), E8SmallCodebook()
CBS = {2: [EP], 3: [EP, SM], 4: [EP, EP]}

def candidates(B, m, n, bpw):
    "name -> plan for a (B, n) @ (n, m) product at `bpw`"
    cbs = CBS[bpw]; nst = len(cbs); out = {'plan': plan_matmul(B, m, n, nst, **_e8p_kinds(cbs))}
    for bk8 in (16, 32, 64):
        P = {**plan_matmul(B, m, n, nst, 'mv', e8p=True, BK8=bk8), 'PAIRS': 1}
        if bpw == 3: P['S2'] = 1
        out[f'pairs_bk{bk8}'] = P
        out[f'pairs_smt_bk{bk8}'] = {**P, 'SMT': 1}
    if bpw != 3: out['nibble'] = {**plan_matmul(B, m, n, nst, 'mv', e8p=True), 'PAIRS': 0}
    out['tc'] = plan_matmul(B, m, n, nst, 'mm', e8p=bpw != 3, any_e8p=True, e8p_first=True)
    out['dequant'] = plan_matmul(B, m, n, nst, 'dequant')
    return out

def main():
    ap = argparse.ArgumentParser(); ap.add_argument('--out', default='.'); ap.add_argument('--rep', type=int, default=20)
    ap.add_argument('--batches', default='2,3,4,8'); ap.add_argument('--bpws', default='2,3,4')
    ap.add_argument('--shapes', default='14336x4096,4096x14336,4096x4096,1024x4096')
    ap.add_argument('--variants', default='', help='comma list: only these candidates (default: all)')
    a = ap.parse_args()
    dev = 'cuda'; rows = []; bad = []
    for sh in a.shapes.split(','):
        m, n = map(int, sh.split('x'))
        Ws = [torch.randn(m, n, device=dev, dtype=torch.bfloat16) for _ in range(min(8, max(2, -(-150_000_000 // (2 * m * n)))))]
        for bpw in [int(b) for b in a.bpws.split(',')]:
            cbs = CBS[bpw]
            copies = [[torch.randint(-32768, 32768, (m, n // 8), dtype=torch.int16, device=dev) if cb is EP else
                       torch.randint(0, 256, (m, n // 8), dtype=torch.uint8, device=dev) for cb in cbs] for _ in range(8)]
            rs = torch.tensor([0.26][:len(cbs) - 1], device=dev)
            for B in [int(b) for b in a.batches.split(',')]:
                x = torch.randn(B, n, device=dev, dtype=torch.float16); xb = x.to(torch.bfloat16)
                bf16 = graph_bench([lambda W=W: F.linear(xb, W) for W in Ws], a.rep)
                Qs = copies[0]
                ref = glq_dequant_matmul_ref(x.double(), Qs[0], cbs[0], torch.tensor([1.0], device=dev), Qs[1] if len(Qs) > 1 else None,
                                             cbs[1] if len(Qs) > 1 else None, resid_scale=rs)
                for name, P in candidates(B, m, n, bpw).items():
                    if a.variants and name not in a.variants.split(','): continue
                    try:
                        y1 = glq_matmul_partials(x, Qs, cbs, rs, P)
                        det = bool(torch.equal(y1, glq_matmul_partials(x, Qs, cbs, rs, P)))
                        y = y1.sum(0).double() * 0.5; err = ((y - ref).norm() / ref.norm()).item(); nan = bool(torch.isnan(y1).any())
                        us = graph_bench([lambda c=c: glq_matmul_partials(x, c, cbs, rs, P) for c in copies], a.rep)
                    except Exception as e:
                        print(f'{m}x{n} {bpw}bpw B{B} {name}: failed {type(e).__name__}: {str(e)[:160]}', flush=True); continue
                    r = dict(out=m, **{'in': n}, bpw=bpw, batch=B, variant=name, plan=P, us=round(us, 2), bf16_us=round(bf16, 2),
                             rel_err=err, deterministic=det, nan=nan)
                    rows.append(r)
                    if err > 2e-3 or nan or not det: bad.append(r)
                    print(f"{m:5d}x{n:<5d} {bpw}bpw B{B} {name:16s}: {us:7.2f} us  bf16 {bf16:6.2f}  x{bf16/us:4.2f}  err {err:.1e}  det {det}", flush=True)
            del copies
        del Ws
    tot = {}
    for r in rows:
        if r not in bad: tot.setdefault((r['bpw'], r['batch']), {}).setdefault(r['variant'], []).append(r['us'])
    nshapes = len(a.shapes.split(','))
    best = {}
    for k, v in sorted(tot.items()):
        full = {name: round(sum(u), 1) for name, u in v.items() if len(u) == nshapes}
        best[f'{k[0]}bpw_B{k[1]}'] = dict(sorted(full.items(), key=lambda kv: kv[1]))
        print(f'{k[0]} bpw batch {k[1]} totals (us):', best[f'{k[0]}bpw_B{k[1]}'])
    os.makedirs(a.out, exist_ok=True)
    json.dump(dict(rows=rows, totals=best, failures=bad, gpu=torch.cuda.get_device_name(), date=datetime.datetime.now().isoformat(timespec='seconds'),
                   command=f'PYTHONPATH=. python3 benchmarks/bench_small_batch.py --out $OUT --batches {a.batches} --bpws {a.bpws} --shapes {a.shapes} --rep {a.rep}' + (f' --variants {a.variants}' if a.variants else ''),
                   software=dict(torch=torch.__version__, triton=triton.__version__)),
              open(os.path.join(a.out, 'small_batch_h200.json'), 'w'), indent=1, default=str)
    print('FAILURES', len(bad), [(r['out'], r['in'], r['bpw'], r['batch'], r['variant'], r['rel_err']) for r in bad[:8]])

if __name__ == '__main__': main()
