"""The RHTs of prefill-sized batches on a CUDA GPU: the kron kernel's settings against the dispatch of before.

Usage (repo root): PYTHONPATH=. python3 benchmarks/bench_rht_prefill.py [--widths 4096,14336,1024] [--batches 256,2048] [--out DIR]
       [--set session10|split] [--name rht_prefill_h200.json]

`--set split` (2026-12-04, `results/rht_prefill_split_h200.json`) times `_rht_kron_split_kernel` (`RHT_SPLIT = (RS, CS)`: H_R
split into RS row blocks, Mᵀ into CS column blocks, fewer multiply-adds per row) against the kron kernel as dispatched since
session 10 (`kron+hi+dt2`), with 4 and 8 warps for some, and `rules` (the dispatch: `RHT_SPLIT_RULES`).

At batch 2048 the two RHTs of a 14336-wide linear took 133 µs (input side) and 189 µs (output side, tile kernel) against a
~28 µs memory floor (KERNEL_NOTES A); they are a third of the GLQ layer's prefill time. Variants (module constants of
glq.inference_kernel): `now` (the dispatch as it was: kron with tf32 left product, the tile kernel for the output side of
14336), `kron` (kron kernel everywhere), `+hi` (output side's first product in fp16 when its input is one fp16 tensor, as
on the prefill path: RHT_KRON_HALF_INV), `+dt2` (left product in the output's half type: RHT_KRON_DT2), `rlK` (K rows per
program one after another: RHT_KRON_RL), `w4` (4 warps). The input side reads bf16 rows and writes fp16 (x̃), the output side
reads one fp16 (B, n) product and writes bf16 with scale 0.5·Wscale, as `glq_linear_forward` calls them at large batch.

Method: every variant is checked first against float64 `fwht`/`ifwht` (relative Frobenius error, no NaN, two runs
bit-identical); then timed as in bench_kernels (CUDA graph of several copies, L2 flushed, median). Prints µs and the
effective bandwidth (bytes read + written) against the measured copy bandwidth; writes rht_prefill_h200.json with a `best`
entry: the variant with the smallest summed time over all cases."""
import argparse, json, os, sys, datetime, platform
import torch, triton
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import glq.inference_kernel as K
from glq.inference_kernel import rht_transform
from glq.hadamard import fwht, ifwht
from glq.rht import unpack_signs
from _timing import graph_bench

BASE = dict(RHT_KRON_DT2=0, RHT_KRON_HALF_INV=0, RHT_KRON_RL=1, RHT_KRON_WARPS=None, RHT_TILE_BIG=8192, RHT_SPLIT=(0, 0))
NOW = dict(RHT_TILE_BIG=1 << 30, RHT_KRON_HALF_INV=1, RHT_KRON_DT2=1)      # the dispatch after session 10 (kron+hi+dt2)
VARIANTS = {                                                                # --set session10 (rht_prefill_h200.json)
    'now':          dict(),
    'kron':         dict(RHT_TILE_BIG=1 << 30),
    'kron+hi':      dict(RHT_TILE_BIG=1 << 30, RHT_KRON_HALF_INV=1),
    'kron+hi+dt2':  NOW,
    'dt2 rl2':      dict(NOW, RHT_KRON_RL=2),
    'dt2 rl4':      dict(NOW, RHT_KRON_RL=4),
    'dt2 rl8':      dict(NOW, RHT_KRON_RL=8),
    'dt2 w4':       dict(NOW, RHT_KRON_WARPS=4),
    'dt2 rl4 w4':   dict(NOW, RHT_KRON_RL=4, RHT_KRON_WARPS=4),
}
SPLIT = {'kron+hi+dt2': NOW}                                                # --set split: _rht_kron_split_kernel, (RS, CS) blocks
for rs, cs in ((1, 1), (2, 1), (4, 1), (1, 4), (2, 4), (4, 4), (4, 2)):
    SPLIT[f'split {rs}x{cs}'] = dict(NOW, RHT_SPLIT=(rs, cs))
for rs, cs in ((4, 1), (4, 4), (2, 4)):
    for w in (4, 8): SPLIT[f'split {rs}x{cs} w{w}'] = dict(NOW, RHT_SPLIT=(rs, cs, w))
SPLIT['rules'] = dict(NOW, RHT_SPLIT=None)                                 # the dispatch: RHT_SPLIT_RULES
SETS = {'session10': VARIANTS, 'split': SPLIT}

def setv(v):
    for k, val in {**BASE, **VARIANTS[v]}.items(): setattr(K, k, val)

def setnow():
    for k, val in {**BASE, **NOW}.items(): setattr(K, k, val)

def rel(a, b): return ((a.double() - b.double()).norm() / b.double().norm()).item()

def main():
    ap = argparse.ArgumentParser(); ap.add_argument('--widths', default='4096,14336,1024'); ap.add_argument('--batches', default='256,2048')
    ap.add_argument('--out', default=os.environ.get('OUT', 'benchmarks/results'))
    ap.add_argument('--smoke', action='store_true', help='CPU, TRITON_INTERPRET=1: the checks only, no timing (tests this script)')
    ap.add_argument('--set', default='session10', choices=list(SETS), help='variant set: session10 (settings of the kron kernel), split (the split kernel)')
    ap.add_argument('--name', default='rht_prefill_h200.json', help='result file under --out')
    a = ap.parse_args(); os.makedirs(a.out, exist_ok=True)
    global VARIANTS; VARIANTS = SETS[a.set]
    dev = 'cpu' if a.smoke else 'cuda'
    def log(s): print(s, flush=True)
    gpu = 'cpu (smoke)' if a.smoke else torch.cuda.get_device_name()
    log(f"# {gpu} torch {torch.__version__} triton {triton.__version__}")
    if a.smoke: copy_bw = 1e12
    else:
        buf = torch.empty(2**30, dtype=torch.uint8, device=dev); buf2 = torch.empty_like(buf)
        tc = triton.testing.do_bench(lambda: buf2.copy_(buf), warmup=20, rep=200, return_mode='median')
        copy_bw = 2 * 2**30 / (tc * 1e-3); del buf, buf2
    log(f"copy bandwidth (read+write): {copy_bw/1e12:.2f} TB/s")
    rows, worst = [], 0.0
    for n in map(int, a.widths.split(',')):
        for B in map(int, a.batches.split(',')):
            g = torch.Generator(device=dev).manual_seed(n + B)
            x = torch.randn(B, n, device=dev, dtype=torch.bfloat16, generator=g)
            p = (torch.randn(1, B, n, device=dev, generator=g) * 30).half()          # a cuBLAS product in doubled units
            copies = max(2, min(16, -(-3 * 60 * 2**20 // (4 * B * n))))
            Ss = [torch.randint(0, 256, (n // 8,), device=dev, dtype=torch.int32, generator=g).to(torch.uint8) for _ in range(copies)]
            ws = [torch.rand(1, device=dev, generator=g) * 0.02 + 0.005 for _ in range(copies)]
            s0 = unpack_signs(Ss[0].cpu(), n).double().to(dev)
            ref_f = fwht(x.double() * s0); ref_i = 0.5 * float(ws[0]) * s0 * ifwht(p[0].double())
            for side in ('in', 'out'):
                for v in VARIANTS:
                    setv(v)
                    if side == 'in': f = lambda S=Ss[0]: rht_transform(x, S, out_dtype=torch.float16)
                    else: f = lambda S=Ss[0], w=ws[0]: rht_transform(p, S, inverse=True, scale=0.5, scale_ptr=w, out_dtype=torch.bfloat16)
                    y1, y2 = f(), f()
                    e = rel(y1, ref_f if side == 'in' else ref_i); worst = max(worst, e)
                    bad = bool(torch.isnan(y1).any()) or not torch.equal(y1, y2) or e > 1e-2
                    if side == 'in': fns = [lambda S=S: rht_transform(x, S, out_dtype=torch.float16) for S in Ss]
                    else: fns = [lambda S=S, w=w: rht_transform(p, S, inverse=True, scale=0.5, scale_ptr=w, out_dtype=torch.bfloat16) for S, w in zip(Ss, ws)]
                    t = 1.0 if a.smoke else graph_bench(fns)
                    gbps = 4 * B * n / (t * 1e-6) / 1e9                                   # 2-byte read + 2-byte write per element
                    rows.append(dict(width=n, batch=B, side=side, variant=v, us=round(t, 2), rel_err=float(f"{e:.3g}"), ok=not bad,
                                     GBps=round(gbps, 1), frac_copy_bw=round(gbps * 1e9 / copy_bw, 3)))
                    log(f"{n:>6} B={B:<5} {side:<3} {v:<13} {t:8.1f} us  {gbps:7.0f} GB/s ({gbps*1e9/copy_bw:4.0%})  rel {e:.2e}{'  FAIL' if bad else ''}")
    setnow()
    tot = {v: sum(r['us'] for r in rows if r['variant'] == v) for v in VARIANTS}
    okv = [v for v in VARIANTS if all(r['ok'] for r in rows if r['variant'] == v)]
    best = min(okv, key=tot.get) if okv else None
    log('summed µs: ' + ', '.join(f"{v} {t:.1f}" for v, t in tot.items()) + f"\nbest: {best}")
    res = dict(rows=rows, summed_us=tot, best=best, best_settings={**BASE, **VARIANTS[best]} if best else None, worst_rel_err=worst,
               hardware=dict(gpu=gpu, copy_bandwidth_TBps=round(copy_bw / 1e12, 3), host=platform.node()),
               software=dict(torch=torch.__version__, triton=triton.__version__), date=datetime.date.today().isoformat(),
               command='PYTHONPATH=. python3 benchmarks/bench_rht_prefill.py ' + ' '.join(sys.argv[1:]), method=__doc__.strip().split('\n\n')[2])
    with open(os.path.join(a.out, a.name), 'w') as f: json.dump(res, f, indent=1)

if __name__ == '__main__': main()
