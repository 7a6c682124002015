"""Host-side (Python) cost of a GLQ linear call on the eager-graph path (`EAGER_GRAPHS`: eager decode replays a recorded CUDA
graph of the layer's, or its q/k/v group's, launches), without a GPU. On the CPU there are no CUDA graphs, so the check that
lets a call replay (`_graphable`, which wants a CUDA input) is forced on and the recording is a stand-in whose replay does
nothing, and every Triton launch is a no-op (as in bench_python_overhead.py): what is left is everything the library does per call around the replay itself (module call, `op_forward`, the
graph key, the input copy, the output clone, a group's hand-out of the later siblings' outputs). On the H200 host
`diag_generate.py` measured about 40 µs per replayed call, about half of it the replay call.

Usage (repo root): PYTHONPATH=. python3 benchmarks/bench_eager_graph_host.py [--reps 300] [--out DIR] [--label TEXT] [--profile]

Method: TRITON_INTERPRET=1, a q/k/v/o block and a gate/up/down block of bench_e2e's GLQ layers (4096 and 14336 wide, E8P,
random indices, bf16 input of one row), q/k/v and gate/up grouped as `from_pretrained` groups them; each row is the median
over 7 runs of `reps` passes over the seven linears, µs per linear call."""
import os, sys, time, json, argparse, datetime, platform, statistics, cProfile, pstats, io
os.environ['TRITON_INTERPRET'] = '1'
import torch
from torch import nn
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import write_cpu_record
import glq.inference_kernel as K

class _NoLaunch:
    def __getitem__(self, grid): return lambda *a, **k: None
for name in dir(K):                                        # the kernels themselves are not timed: every launch a no-op
    if name.endswith('_kernel') and name.startswith(('_glq_', '_rht_')): setattr(K, name, _NoLaunch())
import bench_e2e as E
from glq.quantized_linear import group_shared_inputs

def _stand_in(fn, xin):
    "the recording: runs the launches once for the output's shape; a replay does nothing"
    out = fn(xin).clone()
    return (lambda: None), out

class Block(nn.Module):
    def __init__(self, bpw, gen):
        super().__init__()
        self.q_proj, self.k_proj, self.v_proj, self.o_proj = (E.GLQLinear(4096, m, bpw, 'cpu', gen) for m in (4096, 1024, 1024, 4096))
        self.gate_proj, self.up_proj = (E.GLQLinear(4096, 14336, bpw, 'cpu', gen) for _ in range(2))
        self.down_proj = E.GLQLinear(14336, 4096, bpw, 'cpu', gen)

def per_call_us(blk, x, x2, reps, runs=7):
    calls = [(blk.q_proj, x), (blk.k_proj, x), (blk.v_proj, x), (blk.o_proj, x), (blk.gate_proj, x), (blk.up_proj, x), (blk.down_proj, x2)]
    def once():
        for l, v in calls: l(v)
    for _ in range(4): once()                              # seen, recorded, replayed
    ts = []
    for _ in range(runs):
        t = time.perf_counter()
        for _ in range(reps): once()
        ts.append((time.perf_counter() - t) / reps / len(calls) * 1e6)
    return round(statistics.median(ts), 2), once

def main():
    ap = argparse.ArgumentParser(); ap.add_argument('--reps', type=int, default=300); ap.add_argument('--out', default=None)
    ap.add_argument('--label', default=''); ap.add_argument('--profile', action='store_true')
    a = ap.parse_args(); E.CB = E.E8P_CB; gen = torch.Generator().manual_seed(0); rows = []
    K._graphable = lambda x: True                          # CPU: let every call take the eager-graph path
    K._cuda_capture = _stand_in
    for bpw in (2, 4):
        blk = Block(bpw, gen); group_shared_inputs(blk)
        x = torch.randn(1, 4096, dtype=torch.bfloat16); x2 = torch.randn(1, 14336, dtype=torch.bfloat16)
        us, once = per_call_us(blk, x, x2, a.reps)
        rows.append(dict(bpw=bpw, batch=1, us_per_linear=us, graphs=sum(len(v['graphs']) for v in K._EAGER.values())))
        print(rows[-1], flush=True)
        if a.profile and bpw == 2:
            pr = cProfile.Profile(); pr.enable()
            for _ in range(a.reps): once()
            pr.disable(); s = io.StringIO(); pstats.Stats(pr, stream=s).sort_stats('tottime').print_stats(18); print(s.getvalue())
    write_cpu_record(a.out, 'eager_graph_host_cpu.json', rows, a.label, 'bench_eager_graph_host.py', __doc__)

if __name__ == '__main__': main()
