"""RHT implementations and decode variants side by side on a CUDA GPU (experiments A and B of benchmarks/KERNEL_NOTES.md).

Usage (repo root): PYTHONPATH=. python3 benchmarks/bench_rht_decode.py [--out DIR]
Checks first: every RHT implementation vs float64 glq.hadamard.fwht/ifwht (rel err, determinism) on the Llama and
SmolLM2 widths; the decode variants vs the float64 reference. Then times (CUDA graph of several copies, median of
triton.testing.do_bench, per call): input RHT (bf16 rows -> fp16) and output RHT (fp32 partials -> bf16, scale, bias)
for impl tile (one program per row), kron at several BN, kron fp16, gemm (cuBLAS); and the batch-1 2-bpw matvec with
the packed-table decode vs the structured decode (global loads or tl.gather)."""
import argparse, json, os, sys, time, datetime
import torch, triton
sys.path.insert(0, os.path.dirname(__file__))
import glq.inference_kernel as K
from glq.inference_kernel import rht_transform, rht_plan
from glq.hadamard import fwht, ifwht
from glq.rht import unpack_signs
from bench_kernels import bench, copies_for, rel
import decode_experiments as D

def main():
    ap = argparse.ArgumentParser(); ap.add_argument('--out', default=os.environ.get('OUT', 'benchmarks/results'))
    ap.add_argument('--quick', action='store_true')
    a = ap.parse_args(); os.makedirs(a.out, exist_ok=True)
    logf = open(os.path.join(a.out, 'bench_rht_decode.log'), 'a')
    def log(s): print(s, flush=True); logf.write(s + '\n'); logf.flush()
    import triton.language as tl
    log(f"# {torch.cuda.get_device_name()} torch {torch.__version__} triton {triton.__version__} tl.gather: {hasattr(tl, 'gather')}")
    dev = 'cuda'; t0 = time.time()
    IMPLS = [('tile', {}), (None, {}), ('kron', dict(bn=32)), ('kron', dict(bn=128)), ('kron', dict(bn=128, bb=4)), ('kron', dict(bb=8))]
    # --- A: correctness
    worst = 0.0
    for n in (4096, 1024, 14336, 576, 1536, 192):
        for rows in (1, 3, 300):
            x = torch.randn(rows, n, device=dev, dtype=torch.bfloat16); S = torch.randint(0, 256, (n // 8,), device=dev, dtype=torch.int32).to(torch.uint8)
            s = unpack_signs(S.cpu(), n).double().to(dev)
            ref_f = fwht(x.double() * s); p = torch.randn(2, rows, n, device=dev); b = torch.randn(n, device=dev)
            ref_i = 0.7 * s * ifwht(p.double().sum(0)) + b.double()
            for impl, kw in IMPLS:
                if kw.get('bn', 0) > rht_plan(n, dev)['KQP'] or kw.get('bb', 1) * rht_plan(n, dev)['KRP'] > 128: continue
                y1 = rht_transform(x, S, out_dtype=torch.float16, impl=impl, **kw); y2 = rht_transform(x, S, out_dtype=torch.float16, impl=impl, **kw)
                z = rht_transform(p, S, inverse=True, scale=0.7, bias=b, out_dtype=torch.float32, impl=impl, **kw)
                e1, e2 = rel(y1, ref_f), rel(z, ref_i); worst = max(worst, e1, e2)
                ok = e1 < 1e-2 and e2 < 1e-2 and torch.equal(y1, y2) and not bool(torch.isnan(y1).any())
                if not ok: log(f"RHT CHECK FAIL n={n} rows={rows} {impl} {kw}: fwd {e1:.2e} inv {e2:.2e} det {torch.equal(y1, y2)}")
    log(f"RHT checks done: worst rel err {worst:.2e} [{time.time()-t0:.0f}s]")
    # --- B: decode correctness
    for dec in (0, 1):
        try: log(f"decode variant {dec}: rel err {D.check(dev, m=200, n=4096, decs=(dec,))[dec]:.2e}")
        except Exception as e: log(f"decode variant {dec} failed: {type(e).__name__}: {str(e)[:400]}")
    res = dict(rht=[], decode=[])
    # --- A: timing
    for n in (4096, 14336, 1024):
        for B in (1, 256, 2048):
            nc = copies_for(2 * B * n) if B >= 256 else 8
            Ss = [torch.randint(0, 256, (n // 8,), device=dev, dtype=torch.int32).to(torch.uint8) for _ in range(nc)]
            xs = [torch.randn(B, n, device=dev, dtype=torch.bfloat16) for _ in range(min(nc, 4))]
            ps = [torch.randn(1 if B >= 256 else 2, B, n, device=dev) for _ in range(min(nc, 4))]
            ws = torch.tensor([0.01], device=dev); bias = torch.randn(n, device=dev, dtype=torch.bfloat16)
            QP = rht_plan(n, dev)['KQP']
            V = [('dispatch', dict(impl=None)), ('tile', dict(impl='tile')), ('kron', dict(impl='kron'))]
            if B >= 256: V += [('kron bb1', dict(impl='kron', bb=1, bn=QP))]
            line = []
            for name, kw in V:
                try:
                    ti = bench([lambda i=i: rht_transform(xs[i % len(xs)], Ss[i], out_dtype=torch.float16, **kw) for i in range(nc)])
                    to = bench([lambda i=i: rht_transform(ps[i % len(ps)], Ss[i], inverse=True, scale=0.5, scale_ptr=ws, bias=bias,
                                                          out_dtype=torch.bfloat16, **kw) for i in range(nc)])
                except Exception as e:
                    log(f"  {name} failed: {type(e).__name__}: {str(e)[:300]}"); continue
                res['rht'].append(dict(n=n, B=B, variant=name, in_us=round(ti, 2), out_us=round(to, 2)))
                line.append(f"{name}: {ti:6.1f}/{to:6.1f}")
            log(f"RHT n={n:<5} B={B:<4} (in/out us)  " + '  '.join(line))
    # --- B: timing at batch 1, 2 bpw
    cb = D.CB if hasattr(D, 'CB') else D.E8ShellCodebook()
    DV = [('packed', 0, {}), ('packed idx.cg', 0, dict(cm='.cg')), ('packed lut evict_last', 0, dict(ev='evict_last')),
          ('packed .cg+evict_last', 0, dict(cm='.cg', ev='evict_last')), ('packed carveout0', 0, dict(carveout=0)),
          ('struct', 1, {}), ('struct idx.cg', 1, dict(cm='.cg'))]
    for (m, n) in ((4096, 14336), (4096, 4096)):
        nc = copies_for(m * n // 4)
        Qs = [torch.randint(-32768, 32768, (m, n // 8), device=dev, dtype=torch.int32).to(torch.int16) for _ in range(nc)]
        x = torch.randn(n, device=dev)
        for name, dec, kw in DV:
            cfg = dict(BM=16, BK8=64, num_warps=4)
            try: t = bench([lambda q=q: D.mv_dec(x, q, cb, dec, **cfg, **kw) for q in Qs])
            except Exception as e:
                log(f"  decode {name} failed: {type(e).__name__}: {str(e)[:300]}"); continue
            res['decode'].append(dict(m=m, n=n, variant=name, cfg=cfg, us=round(t, 2), idx_per_ns=round(m * n / 8 / (t * 1e3), 2)))
            log(f"mv {m}x{n} {name:<24}: {t:7.2f} us  ({m*n/8/(t*1e3):.1f} idx/ns)")
        del Qs
    res.update(date=datetime.date.today().isoformat(), gpu=torch.cuda.get_device_name(), triton=triton.__version__,
               command='PYTHONPATH=. python3 benchmarks/bench_rht_decode.py ' + ' '.join(sys.argv[1:]))
    with open(os.path.join(a.out, 'rht_decode_h200.json'), 'w') as f: json.dump(res, f, indent=1)
    log(f"[{time.time()-t0:.0f}s] done")

if __name__ == '__main__': main()
