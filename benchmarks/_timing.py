"""Shared timing helper of the GPU benchmark scripts."""
import torch, triton

def graph_bench(fns, rep:int=50) -> float:
    "µs per call of the callables `fns`, all captured in one CUDA graph (in order, after two warm-up rounds on a side\n    stream); `triton.testing.do_bench` times the replay (median, L2 flushed before each) and the time is divided by len(fns)."
    s = torch.cuda.Stream(); s.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(s):
        for _ in range(2):
            for f in fns: f()
    torch.cuda.current_stream().wait_stream(s); torch.cuda.synchronize()
    g = torch.cuda.CUDAGraph()
    with torch.cuda.graph(g):
        for f in fns: f()
    g.replay(); torch.cuda.synchronize()
    t = triton.testing.do_bench(g.replay, warmup=10, rep=rep, return_mode='median')
    del g
    return 1000 * t / len(fns)
