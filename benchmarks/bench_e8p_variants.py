"""E8P matvec variants on a CUDA GPU: software prefetch of the next index tile (PF) and the parity of the sign bits by
PTX popc (POPC), at several tile shapes; batch 1, 1 and 2 stages (2 and 4 bpw), the Llama-3-8B layer shapes. The matvec
alone (partial sums), 8 layer copies per CUDA graph so the indices come from HBM, median with L2 flushed.
Prints a table and the fastest flags as `BEST PF=<0|1> POPC=<0|1>` (summed over shapes and rates), writes JSON to --out.

Usage: PYTHONPATH=. python3 benchmarks/bench_e8p_variants.py --out DIR"""
import argparse, itertools, json, os, datetime
import torch, triton
from _timing import graph_bench
from glq.codebook import E8PCodebook
from glq.inference_kernel import plan_matmul, glq_matmul_partials, glq_dequant_matmul_ref

def bench(fns, rep=50):
    "µs per call of each fn in `fns` (see _timing.graph_bench)."
    return graph_bench(fns, rep)

def main():
    ap = argparse.ArgumentParser(); ap.add_argument('--out', default='.'); a = ap.parse_args()
    ep = E8PCodebook(); dev = 'cuda'; rows = []
    for (m, n), nst in itertools.product(((14336, 4096), (4096, 14336), (4096, 4096)), (1, 2)):
        Qs8 = [[torch.randint(-32768, 32768, (m, n // 8), dtype=torch.int16, device=dev) for _ in range(nst)] for _ in range(8)]
        rs = torch.tensor([0.26][:nst - 1], device=dev)
        x = torch.randn(1, n, device=dev, dtype=torch.float16)
        ref = glq_dequant_matmul_ref(x.float(), Qs8[0][0], ep, torch.tensor([1.0], device=dev), Qs8[0][1] if nst > 1 else None,
                                     ep if nst > 1 else None, resid_scale=rs)
        for (BM, BK8), pf, pc in itertools.product(((32, 64), (32, 32), (16, 64)), (0, 1), (0, 1)):
            P = plan_matmul(1, m, n, nst, 'mv', e8p=True, BM=BM, BK8=BK8); P.update(PF=pf, POPC=pc)
            y = glq_matmul_partials(x, Qs8[0], [ep] * nst, rs, P).sum(0) * 0.5
            err = ((y.double() - ref.double()).norm() / ref.double().norm()).item()
            us = bench([lambda Q=Q: glq_matmul_partials(x, Q, [ep] * nst, rs, P) for Q in Qs8])
            rows.append(dict(out=m, **{'in': n}, stages=nst, BM=BM, BK8=BK8, PF=pf, POPC=pc, us=round(us, 2), rel_err=err))
            print(f"{m}x{n} st{nst} BM{BM} BK8{BK8} PF{pf} POPC{pc}: {us:7.2f} us  err {err:.1e}", flush=True)
            assert err < 2e-3, err
    tot = {}
    for r in rows:
        if (r['BM'], r['BK8']) == ((32, 64)): tot[(r['PF'], r['POPC'])] = tot.get((r['PF'], r['POPC']), 0) + r['us']
    best = min(tot, key=tot.get)
    print('totals at BM32/BK8 64 (us):', {f'PF{k[0]} POPC{k[1]}': round(v, 1) for k, v in tot.items()})
    os.makedirs(a.out, exist_ok=True)
    json.dump(dict(rows=rows, totals={f'PF{k[0]}_POPC{k[1]}': v for k, v in tot.items()}, gpu=torch.cuda.get_device_name(),
                   date=datetime.datetime.now().isoformat(timespec='seconds'), command='PYTHONPATH=. python3 benchmarks/bench_e8p_variants.py --out $OUT',
                   software=dict(torch=torch.__version__, triton=triton.__version__)),
              open(os.path.join(a.out, 'e8p_variants_h200.json'), 'w'), indent=1)
    print(f'BEST PF={best[0]} POPC={best[1]}')

if __name__ == '__main__': main()
