"""Shared helpers of the benchmark scripts: CUDA-graph timing (GPU) and the JSON record of a CPU host-overhead run."""
import datetime, json, os, platform, sys
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

def write_cpu_record(out:str|None, name:str, rows:list, label:str, script:str, doc:str) -> dict:
    "The record of a CPU run of `script` (rows, label, hardware, software, date, command, the method paragraph of its `doc`), written to out/name if `out`."
    res = dict(rows=rows, label=label, hardware=dict(cpu=platform.processor() or platform.machine(), cores=os.cpu_count()),
               software=dict(python=platform.python_version(), torch=torch.__version__), date=datetime.date.today().isoformat(),
               command=f'PYTHONPATH=. python3 benchmarks/{script} ' + ' '.join(sys.argv[1:]), method=doc.strip().split('\n\n')[2])
    if out:
        os.makedirs(out, exist_ok=True)
        with open(os.path.join(out, name), 'w') as f: json.dump(res, f, indent=1)
    return res
