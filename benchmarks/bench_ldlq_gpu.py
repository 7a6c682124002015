"""LDLQ sweep on one GPU: seconds per linear for Llama-3-8B shapes, by panel width, and the encoder's share.

    python benchmarks/bench_ldlq_gpu.py --out benchmarks/results/ldlq_gpu_h200.json

For each (out, in) shape at 2 bpw: `ldlq` with panels of 8 / 32 / 128 / 256 columns replayed as CUDA graphs, and the
quantizer alone (one (out, 8) block, replayed as a graph) with the encoder's lattice-decoder pass and without it
(class search only). Median of `--reps` runs after a warm-up; the GPU is synchronised around each run.
"""
import argparse, json, time, datetime, statistics
import torch
from glq.ldlq import ldlq, damp_hessian, cuda_graphed
from glq.quantizer import multistage_quantizer, bpw_stages
from glq.codebook import get_codebook

def timed(f, reps):
    f(); torch.cuda.synchronize(); ts = []
    for _ in range(reps):
        t = time.perf_counter(); f(); torch.cuda.synchronize(); ts.append(time.perf_counter() - t)
    return statistics.median(ts)

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--reps', type=int, default=3); ap.add_argument('--out', default=None)
    a = ap.parse_args()
    dev = torch.device('cuda'); rows = []
    cb = get_codebook(bpw_stages(2)[0]).to(dev)
    for o, i in ((1024, 4096), (4096, 4096), (14336, 4096), (4096, 14336)):
        g = torch.Generator(device=dev).manual_seed(0)
        W = torch.randn(o, i, device=dev, generator=g)
        X = torch.randn(4096, i, device=dev, generator=g, dtype=torch.float64)
        H = damp_hessian(X.T @ X / 4096); del X
        q = multistage_quantizer(bpw_stages(2), 0.3, check=False)
        row = dict(out=o, inp=i, steps=i // 8)
        for P in (8, 32, 128, 256):
            row[f'panel{P}_s'] = round(timed(lambda: ldlq(W, H, q, panel=P, graph=True), a.reps), 4)
        V = torch.randn(o, 8, device=dev, generator=g)
        qg = cuda_graphed(q, (V,))
        row['quantizer_ms'] = round(1e3 * timed(lambda: [qg(V) for _ in range(50)], a.reps) / 50, 4)
        cls_only = lambda x: cb._lookup(cb._class_search(x))[0]
        full = lambda x: cb.encode(x, check=False)
        same = bool((cls_only(V * 3) == full(V * 3)).all())
        for name, f in (('encode_ms', full), ('encode_class_only_ms', cls_only)):
            fg = cuda_graphed(f, (V,))
            row[name] = round(1e3 * timed(lambda: [fg(V) for _ in range(50)], a.reps) / 50, 4)
        row['class_only_equal_on_gaussian'] = same
        print(row, flush=True); rows.append(row)
    out = dict(date=datetime.datetime.now().isoformat(timespec='seconds'), hardware=torch.cuda.get_device_name(0),
               software=f"torch {torch.__version__}", command='python benchmarks/bench_ldlq_gpu.py', rows=rows)
    if a.out: open(a.out, 'w').write(json.dumps(out, indent=1))

if __name__ == '__main__': main()
