"""GLQ layer vs bf16 nn.Linear (cuBLAS) on Llama-3-8B shapes, on a CUDA GPU.

Usage (from the repo root):  PYTHONPATH=. python3 benchmarks/bench_kernels.py [--sweep] [--out DIR] [--batches 1,4,16,64,256,2048]

Method: every timed callable runs R different layer copies (enough to move ≥ 3× the L2 per replay, so weights
and indices come from HBM, as in a real model), captured in one CUDA graph; triton.testing.do_bench times the graph
replay (median, L2 flushed before each replay) and the time is divided by R. The GLQ layer is the whole forward:
input RHT, decode-and-multiply, output RHT. --sweep also times launch-config variants of each kernel and keeps
the best per row (written with the config it used); without it the library's own dispatch (plan_matmul) is timed.
Before timing, every path is checked against a float64 reference of the same quantized weight (rel err ≤ 1e-2,
no NaN, bit-identical across two runs).
"""
import argparse, json, os, sys, time, datetime, platform
import torch, triton
from _timing import graph_bench
from glq.codebook import E8ShellCodebook, E8PCodebook
from glq.inference_kernel import (glq_linear_forward, glq_linear_forward_ref, plan_matmul, rht_transform,
                                  glq_matmul_partials, codebook_lut)

SHAPES = [(4096, 4096), (1024, 4096), (14336, 4096), (4096, 14336)]
CB = E8ShellCodebook(); SMALL = CB.make_small(256)
E8P = False     # --codebook e8p-v1: layers of E8P stages (1 KB decode table, the E8P matvec at batch 1)
L2 = 60 * 2**20

def make_layer(m, n, bpw, dev='cuda', seed=0):
    g = torch.Generator(device=dev).manual_seed(seed)
    ri = lambda lo, hi, dt: torch.randint(lo, hi, (m, n // 8), generator=g, device=dev, dtype=torch.int32).to(dt)
    L = dict(Qidxs=ri(-32768, 32768, torch.int16), Qidxs2=None, codebook2=None, resid_scale=torch.zeros(0, device=dev),
             SU=torch.randint(0, 256, (m // 8,), generator=g, device=dev, dtype=torch.int32).to(torch.uint8),
             SV=torch.randint(0, 256, (n // 8,), generator=g, device=dev, dtype=torch.int32).to(torch.uint8),
             Wscale=torch.tensor([0.012], device=dev))
    if bpw == 3: L.update(Qidxs2=ri(0, 256, torch.uint8), codebook2=SMALL, resid_scale=torch.tensor([0.49], device=dev))
    if bpw == 4: L.update(Qidxs2=ri(-32768, 32768, torch.int16), codebook2=CB, resid_scale=torch.tensor([0.284 if not E8P else 0.26], device=dev))
    return L

def layer_bytes(L):
    return sum(v.numel() * v.element_size() for k, v in L.items() if isinstance(v, torch.Tensor))

def glq_fn(L, x, plan=None):
    return lambda: glq_linear_forward(x, L['Qidxs'], L['SU'], L['SV'], L['Wscale'], CB, L['Qidxs2'], L['codebook2'],
                                      L['resid_scale'], plan=plan)

def bench(fns, rep=40):
    "µs per call of each fn in `fns` (see _timing.graph_bench)."
    return graph_bench(fns, rep)

def copies_for(nbytes): return int(min(32, max(2, -(-3 * L2 // max(nbytes, 1)))))

def rel(a, b): return ((a.double() - b.double()).norm() / b.double().norm()).item()

def check(shapes, log):
    "Every path and rate on every shape vs float64; determinism."
    worst = 0.0
    for (m, n) in shapes:
        for bpw in (2, 3, 4):
            L = make_layer(m, n, bpw, seed=1)
            for B, path in ((1, 'mv'), (1, 'mm'), (16, 'mm'), (100, 'mm'), (300, 'dequant'), (5, None)):
                x = torch.randn(B, n, device='cuda', dtype=torch.bfloat16)
                ref = glq_linear_forward_ref(x, L['Qidxs'], L['SU'], L['SV'], L['Wscale'], CB, L['Qidxs2'], L['codebook2'], L['resid_scale'])
                f = glq_fn(L, x, plan_matmul(B, m, n, 1 + (bpw > 2), path, e8p=E8P and bpw != 3, any_e8p=E8P, e8p_first=E8P))
                y1, y2 = f(), f()
                e = rel(y1, ref); worst = max(worst, e)
                ok = e < 1e-2 and not bool(torch.isnan(y1).any()) and torch.equal(y1, y2)
                if not ok: log(f"CHECK FAIL {(m, n, bpw, B, path)} rel={e:.2e} nan={bool(torch.isnan(y1).any())} det={torch.equal(y1, y2)}")
                if not ok: raise SystemExit(f"correctness check failed at {(m, n, bpw, B, path)}: rel {e:.3e}")
    log(f"correctness: all paths, 3 rates, {len(shapes)} shapes: worst rel err vs float64 {worst:.2e}, bit-identical reruns")
    return worst

def variants(B, m, n, nst, sweep, e8p=False, any_e8p=False):
    if not sweep: return [('dispatch', plan_matmul(B, m, n, nst, e8p=e8p, any_e8p=any_e8p, e8p_first=any_e8p))]
    V = []
    if B <= 4:
        for BM, BK8, nw, ns, wv in ((16, 32, 2, 2, 4), (16, 32, 2, 4, 4), (32, 32, 4, 4, 4), (16, 64, 4, 3, 4), (32, 16, 2, 4, 8), (64, 32, 8, 3, 4), (16, 32, 2, 3, 8)):
            V.append((f'mv BM{BM} BK8{BK8} w{nw} s{ns} waves{wv}', plan_matmul(B, m, n, nst, 'mv', waves=wv, BM=BM, BK8=BK8, num_warps=nw, num_stages=ns)))
    if B <= 32:
        for BM, BK8, nw, ns, wv in ((32, 16, 2, 3, 4), (32, 16, 2, 5, 4), (64, 16, 4, 4, 4), (32, 32, 4, 3, 8), (16, 32, 2, 4, 8)):
            V.append((f'mm16 BM{BM} BK8{BK8} w{nw} s{ns} waves{wv}', plan_matmul(B, m, n, nst, 'mm', waves=wv, BM=BM, BB=16 if B <= 16 else 32, BK8=BK8, num_warps=nw, num_stages=ns)))
    if 16 < B <= 512:
        BB = 64 if B <= 64 else 128
        for BM, BK8, nw, ns, wv in ((64, 8, 4, 3, 2), (128, 8, 8, 3, 2), (128, 4, 8, 4, 2), (64, 16, 8, 3, 1)):
            V.append((f'mm{BB} BM{BM} BK8{BK8} w{nw} s{ns} waves{wv}', plan_matmul(B, m, n, nst, 'mm', waves=wv, BM=BM, BB=BB, BK8=BK8, num_warps=nw, num_stages=ns)))
    if B >= 256:
        V.append(('mm128 BM128 BK8 8 w8 s3 waves1', plan_matmul(B, m, n, nst, 'mm', waves=1, BM=128, BB=128, BK8=8, num_warps=8, num_stages=3)))
        for BM, BK8, nw in ((32, 32, 4), (64, 32, 8)):
            V.append((f'dequant BM{BM} BK8{BK8} w{nw}', plan_matmul(B, m, n, nst, 'dequant', BM=BM, BK8=BK8, num_warps=nw)))
    return V

def rht_sweep(log, out):
    "Input-RHT time per row count, width, warps and dot type (one program per row)."
    import glq.inference_kernel as K
    res = []
    for n in (4096, 14336):
        for B in (1, 16):
            S = [torch.randint(0, 256, (n // 8,), device='cuda', dtype=torch.int32).to(torch.uint8) for _ in range(8)]
            x = torch.randn(B, n, device='cuda', dtype=torch.bfloat16)
            for half in (False, True):
                for nw in (4, 8, 16):
                    K.RHT_WARPS, K.RHT_HALF = nw, half
                    t = bench([lambda s=s: rht_transform(x, s, out_dtype=torch.float16) for s in S])
                    res.append(dict(n=n, B=B, half=half, warps=nw, us=round(t, 2)))
                    log(f"rht n={n} B={B} {'fp16' if half else 'tf32'} w{nw}: {t:.2f} us")
    K.RHT_WARPS, K.RHT_HALF = None, False
    best = min((r for r in res if r['n'] == 4096 and r['B'] == 1), key=lambda r: r['us'])
    K.RHT_WARPS, K.RHT_HALF = best['warps'], best['half']
    log(f"using RHT warps={best['warps']} half={best['half']}")
    return res

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--sweep', action='store_true')
    ap.add_argument('--out', default=os.environ.get('OUT', 'benchmarks/results'))
    ap.add_argument('--batches', default='1,4,16,64,256,2048')
    ap.add_argument('--bpws', default='2,3,4')
    ap.add_argument('--shapes', default='all')
    ap.add_argument('--no-check', action='store_true')
    ap.add_argument('--codebook', default='e8shell-v1', choices=['e8shell-v1', 'e8p-v1'])
    ap.add_argument('--set', action='append', default=[], help='NAME=VALUE: override a glq.inference_kernel constant (e.g. IDX_CACHE=.cg, RHT_SPLIT=4,4)')
    a = ap.parse_args()
    global CB, E8P
    if a.codebook == 'e8p-v1': CB, E8P = E8PCodebook(), True
    import glq.inference_kernel as K
    for kv in a.set:
        k, v = kv.split('=', 1); old = getattr(K, k)
        num = lambda t: float(t) if '.' in t else int(t)
        setattr(K, k, tuple(num(t) for t in v.split(',')) if ',' in v or (isinstance(old, tuple) and '.' not in v) else
                   float(v) if isinstance(old, tuple) else
                   None if v == 'None' else int(v) if old is None and v.lstrip('-').isdigit() else
                   type(old)(v) if old is not None and not isinstance(old, str) else v)
    os.makedirs(a.out, exist_ok=True)
    logf = open(os.path.join(a.out, 'bench_kernels.log'), 'a')
    def log(s): print(s, flush=True); logf.write(s + '\n'); logf.flush()
    t0 = time.time(); dev = torch.cuda.get_device_name()
    log(f"# {dev}  torch {torch.__version__}  triton {triton.__version__}  {datetime.datetime.now().isoformat(timespec='seconds')}")
    shapes = SHAPES if a.shapes == 'all' else [tuple(map(int, s.split('x'))) for s in a.shapes.split(',')]
    batches = [int(b) for b in a.batches.split(',')]; bpws = [int(b) for b in a.bpws.split(',')]
    # copy bandwidth (bytes read + written)
    buf = torch.empty(2**30, dtype=torch.uint8, device='cuda'); buf2 = torch.empty_like(buf)
    tc = triton.testing.do_bench(lambda: buf2.copy_(buf), warmup=20, rep=200, return_mode='median')
    copy_bw = 2 * 2**30 / (tc * 1e-3); del buf, buf2
    log(f"copy bandwidth (read+write): {copy_bw/1e12:.2f} TB/s")
    rht_res = rht_sweep(log, a.out) if a.sweep else None
    worst = None if a.no_check else check(shapes + [(96, 56)], log)
    log(f"[{time.time()-t0:.0f}s] checks done")
    rows, sweep_log = [], []
    for (m, n) in shapes:
        Wb = [torch.randn(m, n, device='cuda', dtype=torch.bfloat16) for _ in range(copies_for(2 * m * n))]
        Ls = {bpw: [make_layer(m, n, bpw, seed=s) for s in range(copies_for(m * n * bpw // 8))] for bpw in bpws}
        for B in batches:
            x = torch.randn(B, n, device='cuda', dtype=torch.bfloat16)
            t_bf = bench([(lambda W=W: torch.nn.functional.linear(x, W)) for W in Wb])
            for bpw in bpws:
                best = None
                for name, plan in variants(B, m, n, 1 + (bpw > 2), a.sweep, E8P and bpw != 3, E8P):
                    try:
                        t = bench([glq_fn(L, x, plan) for L in Ls[bpw]])
                    except Exception as e:
                        log(f"  variant {name} failed: {type(e).__name__}: {str(e)[:200]}"); continue
                    sweep_log.append(dict(out=m, inp=n, bpw=bpw, batch=B, variant=name, plan=plan, us=t))
                    if best is None or t < best[0]: best = (t, name, plan)
                t, name, plan = best
                idx_bytes = m * n * bpw / 8
                # RHT-only and matmul-only (partials) times for the winning plan, at small batch
                extra = {}
                if B <= 16:
                    L0 = Ls[bpw]
                    xt = torch.randn(B, n, device='cuda', dtype=torch.float16)
                    from glq.inference_kernel import _stage_lists
                    st = [_stage_lists(L['Qidxs'], CB, L['Qidxs2'], L['codebook2'], L['resid_scale']) for L in L0]
                    extra['matmul_only_us'] = bench([(lambda s=s: glq_matmul_partials(xt, *s, plan)) for s in st])
                    extra['rht_in_us'] = bench([lambda L=L: rht_transform(x, L['SV'], out_dtype=torch.float16) for L in L0[:4]])
                row = dict(out=m, **{'in': n}, bpw=bpw, batch=B, bf16_us=round(t_bf, 2), glq_us=round(t, 2),
                           speedup=round(t_bf / t, 3), glq_GBps=round(idx_bytes / (t * 1e-6) / 1e9, 1),
                           bf16_GBps=round(2 * m * n / (t_bf * 1e-6) / 1e9, 1), variant=name, plan=plan,
                           **{k: round(v, 2) for k, v in extra.items()})
                rows.append(row)
                log(f"{m:>6}x{n:<6} B={B:<5} {bpw}bpw  bf16 {t_bf:8.1f}us  glq {t:8.1f}us  x{t_bf/t:5.2f}  "
                    f"idx {row['glq_GBps']:6.0f} GB/s  bf16 {row['bf16_GBps']:6.0f} GB/s  [{name}] {extra if extra else ''}")
                with open(os.path.join(a.out, 'kernels_partial.json'), 'w') as f: json.dump(rows, f)
        del Wb, Ls; torch.cuda.empty_cache()
    res = dict(rows=rows, hardware=dict(gpu=dev, copy_bandwidth_TBps=round(copy_bw / 1e12, 3), host=platform.node()),
               software=dict(torch=torch.__version__, triton=triton.__version__),
               date=datetime.date.today().isoformat(), command='PYTHONPATH=. python3 benchmarks/bench_kernels.py ' + ' '.join(sys.argv[1:]),
               worst_rel_err_vs_fp64=worst, rht_sweep=rht_res, method=__doc__.strip().split('\n\n')[1],
               notes=('glq_us is the whole layer: RHT in + decode-matmul + RHT out, through the library dispatch (plan_matmul; each row '
                      'records the plan it ran). Kernels, RHT variants and what was measured against what: benchmarks/KERNEL_NOTES.md.'))
    res['codebook'] = a.codebook
    with open(os.path.join(a.out, 'kernels_h200.json' if not E8P else 'kernels_e8p_h200.json'), 'w') as f: json.dump(res, f, indent=1)
    if a.sweep:
        with open(os.path.join(a.out, 'sweep.json'), 'w') as f: json.dump(sweep_log, f)
    log(f"[{time.time()-t0:.0f}s] done")
    print("\nsummary (speedup vs bf16):")
    for bpw in bpws:
        print(f" {bpw} bpw: " + '; '.join(f"{r['out']}x{r['in']}@B{r['batch']}: {r['speedup']:.2f}" for r in rows if r['bpw'] == bpw))

if __name__ == '__main__': main()
