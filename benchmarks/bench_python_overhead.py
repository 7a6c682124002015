"""Host-side (Python) cost of one GLQ linear's forward, without a GPU: the library's dispatch, caches and launch
arguments, with every Triton kernel launch replaced by a no-op (the kernels themselves, and Triton's own launch cost, are
not in these numbers). This is what an eager decode step (no CUDA graph, e.g. `generate` without a static cache) pays per
linear on top of the GPU time: 224 linears per token for a Llama-3-8B shape.

Usage (repo root): PYTHONPATH=. python3 benchmarks/bench_python_overhead.py [--reps 200] [--out DIR]

Method: TRITON_INTERPRET=1 (so that the kernel path is taken on the CPU), the kernel objects of glq.inference_kernel
swapped for stubs, a q/k/v/o attention block of bench_e2e's GLQ layers (4096 wide, E8P, random indices); each row is the
median over 5 runs of `reps` passes over the four linears, µs per linear call, with q/k/v grouped (shared input, merged
launches at batch 1) and alone."""
import os, sys, time, json, argparse, datetime, platform, statistics
os.environ['TRITON_INTERPRET'] = '1'
import torch
from torch import nn
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import write_cpu_record
import glq.inference_kernel as K

class _NoLaunch:
    def __getitem__(self, grid): return lambda *a, **k: None
for name in dir(K):
    if name.endswith('_kernel') and name.startswith(('_glq_', '_rht_')): setattr(K, name, _NoLaunch())
import bench_e2e as E
from glq.quantized_linear import group_shared_inputs

class Att(nn.Module):
    def __init__(self, bpw, gen):
        super().__init__()
        self.q_proj, self.k_proj, self.v_proj, self.o_proj = (E.GLQLinear(4096, m, bpw, 'cpu', gen) for m in (4096, 1024, 1024, 4096))

def per_linear_us(ls, x, reps):
    for _ in range(3): [l(x) for l in ls]
    ts = []
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(reps): [l(x) for l in ls]
        ts.append((time.perf_counter() - t) / reps / len(ls) * 1e6)
    return round(statistics.median(ts), 1)

def main():
    ap = argparse.ArgumentParser(); ap.add_argument('--reps', type=int, default=200); ap.add_argument('--out', default=None)
    ap.add_argument('--label', default='')
    a = ap.parse_args(); E.CB = E.E8P_CB; gen = torch.Generator().manual_seed(0); rows = []
    for bpw in (2, 4):
        att = Att(bpw, gen); ls = [att.q_proj, att.k_proj, att.v_proj, att.o_proj]
        for B in (1, 16):
            x = torch.randn(B, 4096, dtype=torch.bfloat16)
            for grouped in (True, False):
                for l in ls: l.__dict__.pop('input_group', None)
                if grouped: group_shared_inputs(att)
                rows.append(dict(bpw=bpw, batch=B, grouped=grouped, us_per_linear=per_linear_us(ls, x, a.reps)))
                print(rows[-1], flush=True)
    write_cpu_record(a.out, 'python_overhead_cpu.json', rows, a.label, 'bench_python_overhead.py', __doc__)

if __name__ == '__main__': main()
