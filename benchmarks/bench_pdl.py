"""Programmatic dependent launch (glq.inference_kernel.PDL) on a CUDA GPU: the whole GLQ layer (input RHT, product, output
RHT) with E8P stages under PDL variants vs bf16 `F.linear`, Llama-3-8B shapes, batch 1 / 4 / 16 (the byte-permute matvec,
the nibble matvec, the tensor-core kernel), 2 and 4 bpw (E8P, E8P + E8P) and 3 bpw at batch 1 (E8P + 256-point), all in
one run: 8 layer copies per CUDA graph (so a layer's kernels follow the previous layer's, as in a model), L2 flushed,
medians (`_timing.graph_bench`). Variants: off (PDL 0); pdl (the library default: PDL_MM 1, PDL_TC 0, L2 prefetch of the indices below
2^25 weights); nopf (no prefetch); allpf (prefetch at every size); rht (only the RHT kernels launched with PDL). Earlier
runs (2026-12-02, in results/pdl_h200.json): run 1 let every kernel's successor launch at its start ('pdl' only); run 2
launched after the matmul loop, with the tensor-core kernel under PDL too and prefetch at every size; run 3 as now but
with the variants pdl = prefetch at every size, nopf, rht. Each variant is checked against a float64
reference of the same quantized weight (rel err <= 1e-2), for NaN, for bit-identical reruns and for equality with PDL off.
Prints a table, writes JSON.

Usage: cd benchmarks && PYTHONPATH=..:. python3 bench_pdl.py --out DIR [--batches 1,4,16] [--bpws 2,3,4] [--rep 20]"""
import argparse, json, os, datetime
import torch, triton
import torch.nn.functional as F
from _timing import graph_bench
from glq.codebook import E8PCodebook, E8SmallCodebook
from glq import inference_kernel as K

SHAPES = [(14336, 4096), (4096, 14336), (4096, 4096), (1024, 4096)]
VARIANTS = {'off': dict(PDL=0), 'pdl': dict(PDL=1, PDL_MM=1, PDL_TC=0, PDL_PREFETCH_MAX=1 << 25),
            'nopf': dict(PDL=1, PDL_MM=1, PDL_TC=0, PDL_PREFETCH_MAX=0), 'allpf': dict(PDL=1, PDL_MM=1, PDL_TC=0, PDL_PREFETCH_MAX=1 << 62),
            'rht': dict(PDL=1, PDL_MM=0, PDL_TC=0)}
EP, SM = E8PCodebook(), E8SmallCodebook()

def layer(m, n, bpw, dev, seed):
    g = torch.Generator(device=dev).manual_seed(seed)
    ri = lambda: torch.randint(-32768, 32768, (m, n // 8), generator=g, device=dev, dtype=torch.int32).to(torch.int16)
    sg = lambda k: torch.randint(0, 256, (k // 8,), generator=g, device=dev, dtype=torch.int32).to(torch.uint8)
    q2 = {2: None, 3: torch.randint(0, 256, (m, n // 8), generator=g, device=dev, dtype=torch.int32).to(torch.uint8), 4: ri()}[bpw]
    return dict(Q=ri(), Q2=q2, cb2={2: None, 3: SM, 4: EP}[bpw], SU=sg(m), SV=sg(n), ws=torch.tensor([0.012], device=dev),
                rs=torch.tensor([0.26], device=dev) if bpw > 2 else torch.zeros(0, device=dev))

def fwd(L, x): return K.glq_linear_forward(x, L['Q'], L['SU'], L['SV'], L['ws'], EP, L['Q2'], L['cb2'], L['rs'])

def main():
    ap = argparse.ArgumentParser(); ap.add_argument('--out', default='.'); ap.add_argument('--rep', type=int, default=20)
    ap.add_argument('--batches', default='1,4,16'); ap.add_argument('--bpws', default='2,3,4')
    ap.add_argument('--variants', default=','.join(VARIANTS))
    a = ap.parse_args(); dev = 'cuda'; names = a.variants.split(',')
    defaults = {k: getattr(K, k) for k in ('PDL', 'PDL_MM', 'PDL_TC', 'PDL_PREFETCH_MAX')}
    print('triton', triton.__version__, 'HAS_PDL', K.HAS_PDL, 'defaults', defaults, flush=True)
    rows = []
    for (m, n) in SHAPES:
        for bpw in map(int, a.bpws.split(',')):
            Ls = [layer(m, n, bpw, dev, s) for s in range(8)]
            for B in map(int, a.batches.split(',')):
                if bpw == 3 and B > 1: continue          # 3 bpw: only batch 1 has its own kernel (S2)
                x = torch.randn(B, n, device=dev, dtype=torch.bfloat16)
                Ws = [torch.randn(m, n, device=dev, dtype=torch.bfloat16) for _ in range(4)]
                bf16 = graph_bench([lambda W=W: F.linear(x, W) for W in Ws], a.rep); del Ws
                L = Ls[0]
                ref = K.glq_linear_forward_ref(x.double(), L['Q'], L['SU'], L['SV'], L['ws'], EP, L['Q2'], L['cb2'], L['rs'])
                P = K.plan_matmul(B, m, n, 1 + (bpw > 2), **K._e8p_kinds([EP] + ([L['cb2']] if L['cb2'] else [])))
                res, outs = {}, {}
                for v in names:
                    for k, val in VARIANTS[v].items(): setattr(K, k, val)
                    y = fwd(L, x); det = bool(torch.equal(y, fwd(L, x))); outs[v] = y
                    err = ((y.double() - ref).norm() / ref.norm()).item()
                    try: us = graph_bench([lambda L=L: fwd(L, x) for L in Ls], a.rep)
                    except Exception as e:
                        print(f'{v}: graph failed: {type(e).__name__}: {str(e)[:300]}', flush=True); us = float('nan')
                    res[v] = us
                    rows.append(dict(out=m, **{'in': n}, bpw=bpw, batch=B, variant=v, settings=VARIANTS[v], glq_us=round(us, 2),
                                     bf16_us=round(bf16, 2), rel_err=err, deterministic=det, nan=bool(torch.isnan(y).any()),
                                     path=P['path'], kernel=('S2' if P.get('S2') else 'pairs' if P.get('PAIRS') else 'tc' if P.get('E8PTC') else 'nibble' if P.get('e8p') else P['path'])))
                for k, val in defaults.items(): setattr(K, k, val)
                same = all(torch.equal(outs[v], outs[names[0]]) for v in names)
                for r in rows[-len(names):]: r['equal_across_variants'] = same
                ok = all(r['rel_err'] < 1e-2 and r['deterministic'] and not r['nan'] for r in rows[-len(names):])
                print(f"{m:5d}x{n:<5d} {bpw}bpw B{B:<3d} {rows[-1]['kernel']:6s} bf16 {bf16:6.2f} | " +
                      '  '.join(f"{v} {res[v]:6.2f} x{bf16/res[v]:.2f}" for v in names) + f" | ok {ok} same {same}", flush=True)
    os.makedirs(a.out, exist_ok=True)
    json.dump(dict(rows=rows, variants=VARIANTS, gpu=torch.cuda.get_device_name(), date=datetime.datetime.now().isoformat(timespec='seconds'),
                   command=f'cd benchmarks && PYTHONPATH=..:. python3 bench_pdl.py --out $OUT --batches {a.batches} --bpws {a.bpws} --rep {a.rep}',
                   method='whole layer (glq_linear_forward), 8 layer copies per CUDA graph, L2 flushed, median (graph_bench)',
                   software=dict(torch=torch.__version__, triton=triton.__version__)),
              open(os.path.join(a.out, 'pdl_h200.json'), 'w'), indent=1)

if __name__ == '__main__': main()
