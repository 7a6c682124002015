"""Where the time of a GLQ decode step goes outside the kernels, on a GPU: (1) the host time of one eager GLQ linear with real
kernel launches (EAGER_GRAPHS off: the direct launches, with a cProfile breakdown; on: replays of its CUDA graph), against a
bare Triton launch and bf16 nn.Linear; (2) eager `generate` (its default dynamic cache, nothing compiled or captured) of a
Llama-3-8B-shaped model, bf16 against GLQ with EAGER_GRAPHS off and on, in one run; (3) `generate`'s own compiled decode
(static cache, mode 'reduce-overhead') profiled (CUDA-graph launches, kernel time, host time), with inductor's perf hints.

Usage (repo root, GPU): PYTHONPATH=. python3 benchmarks/diag_generate.py [--bpws 16,2] [--new 17] [--layers 32] [--skip eager,eager_generate,generate] [--out DIR]
Writes diag_generate.json (and cprofile_eager_linear.txt, cprofile_eager_graph.txt) under --out. Host µs: median of 5 runs of 300 calls queued without
waiting (the GPU is faster than the host here, so this is the host's time per call); GPU µs: the same call as a CUDA graph.
Eager generate tokens/s = (new - 1) / (t(new) - t(1)), medians of 3 calls (the prefill cancels out)."""
import argparse, cProfile, io, json, os, pstats, sys, time
import torch, triton, triton.language as tl
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_e2e as E
import glq.inference_kernel as K

@triton.jit
def _noop(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    i = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    tl.store(y_ptr + i, tl.load(x_ptr + i, mask=i < n), mask=i < n)

def host_us(fn, n=300):
    "Host µs per call of `fn` (GPU work queued, not waited for except at the end), median of 5 runs."
    for _ in range(20): fn()
    torch.cuda.synchronize(); ts = []
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(n): fn()
        ts.append((time.perf_counter() - t) / n * 1e6); torch.cuda.synchronize()
    return round(sorted(ts)[2], 1)

@torch.no_grad()
def eager_linear(out):
    gen = torch.Generator(device='cuda').manual_seed(0)
    res = {}
    x = torch.randn(1, 4096, device='cuda', dtype=torch.float16); y = torch.empty_like(x)
    res['triton_noop_launch_us'] = host_us(lambda: _noop[(1,)](x, y, 4096, BLOCK=1024))
    res['torch_add_us'] = host_us(lambda: torch.add(x, x))
    for m, n in ((4096, 4096), (14336, 4096)):
        bl = torch.nn.Linear(n, m, bias=False, device='cuda', dtype=torch.bfloat16); xb = torch.randn(1, n, device='cuda', dtype=torch.bfloat16)
        res[f'bf16_{m}x{n}'] = dict(host_us=host_us(lambda: bl(xb)))
    for bpw in (2, 4):
        for m, n in ((4096, 4096), (14336, 4096)):
            lin = E.GLQLinear(n, m, bpw, "cuda", gen)
            xi = torch.randn(1, n, device="cuda", dtype=torch.bfloat16)
            K.EAGER_GRAPHS = 0; lin._eager_forward(xi); torch.cuda.synchronize()      # tables made before the capture
            g = torch.cuda.CUDAGraph()
            with torch.cuda.graph(g): lin._eager_forward(xi)
            gpu = triton.testing.do_bench(g.replay, return_mode='median') * 1e3
            direct = host_us(lambda: lin._eager_forward(xi))
            K.EAGER_GRAPHS = 1; graphed = host_us(lambda: lin._eager_forward(xi))
            yg = lin._eager_forward(xi); K.EAGER_GRAPHS = 0; yd = lin._eager_forward(xi); K.EAGER_GRAPHS = 1
            ok = bool(torch.equal(yg, yd))
            res[f'glq_{bpw}bpw_{m}x{n}'] = dict(host_us_direct=direct, host_us_eager_graph=graphed, gpu_graph_us=round(gpu, 1), graph_equals_direct=ok)
            if bpw == 2 and m == 4096:
                for eg, fname in ((0, 'cprofile_eager_linear.txt'), (1, 'cprofile_eager_graph.txt')):
                    K.EAGER_GRAPHS = eg; pr = cProfile.Profile(); pr.enable()
                    for _ in range(200): lin._eager_forward(xi)
                    pr.disable(); torch.cuda.synchronize(); s = io.StringIO()
                    pstats.Stats(pr, stream=s).sort_stats('tottime').print_stats(30)
                    open(os.path.join(out, fname), 'w').write(s.getvalue())
                K.EAGER_GRAPHS = 1
    return res

@torch.no_grad()
def eager_generate(bpws, layers, new, log, rows, save):
    "Eager generate (dynamic cache), bf16 and GLQ with EAGER_GRAPHS off and on: tokens/s and whether the tokens agree."
    for bpw in bpws:
        torch.cuda.empty_cache(); cfg, model = E.build(layers, bpw)
        model.generation_config.eos_token_id = None; model.generation_config.pad_token_id = 0
        prompt = torch.randint(0, cfg.vocab_size, (1, 128), device='cuda', generator=torch.Generator(device='cuda').manual_seed(1))
        def t(n):
            ts = []
            for _ in range(3):
                torch.cuda.synchronize(); t0 = time.perf_counter()
                out = model.generate(prompt, max_new_tokens=n, min_new_tokens=n, do_sample=False)
                torch.cuda.synchronize(); ts.append(time.perf_counter() - t0)
            return sorted(ts)[1], out
        toks = {}
        for eg in ((0, 1) if bpw != 16 else (1,)):
            K.EAGER_GRAPHS = eg; K.clear_eager_graphs(); model.generate(prompt, max_new_tokens=4, min_new_tokens=4, do_sample=False)
            tn, toks[eg] = t(new); t1, _ = t(1)
            rows.append(dict(bpw=bpw, eager_graphs=eg, tokens_per_s=round((new - 1) / (tn - t1), 1), call_s=round(tn, 3), new_tokens=new))
            log(json.dumps(rows[-1]))
        if bpw != 16: rows[-1]['same_tokens_as_direct'] = bool(torch.equal(toks[0], toks[1]))
        del model; torch.cuda.empty_cache()
        bf = next((r for r in rows if r['bpw'] == 16), None)
        for r in rows:
            if bf: r['vs_bf16'] = round(r['tokens_per_s'] / bf['tokens_per_s'], 3)
        save()
    K.EAGER_GRAPHS = 1

@torch.no_grad()
def gen_profile(bpw, layers, new, log):
    torch.cuda.empty_cache(); torch._dynamo.reset()
    cfg, model = E.build(layers, bpw)
    model.generation_config.eos_token_id = None; model.generation_config.pad_token_id = 0
    prompt = torch.randint(0, cfg.vocab_size, (1, 128), device='cuda', generator=torch.Generator(device='cuda').manual_seed(1))
    kw = dict(max_new_tokens=new, min_new_tokens=new, do_sample=False, cache_implementation='static')
    for _ in range(2): model.generate(prompt, **kw)
    torch.cuda.synchronize()
    from torch.profiler import profile, ProfilerActivity
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as p:
        t = time.perf_counter(); model.generate(prompt, **kw); torch.cuda.synchronize(); wall = time.perf_counter() - t
    ev = p.key_averages()
    graph_launches = sum(e.count for e in ev if e.key == 'cudaGraphLaunch')
    kern = [e for e in ev if e.device_type == torch.autograd.DeviceType.CUDA]
    dev_us = sum(e.self_device_time_total for e in kern)
    top_cpu = [(e.key, e.count, round(e.self_cpu_time_total / 1e3, 2)) for e in sorted(ev, key=lambda e: -e.self_cpu_time_total)[:25]]
    top_dev = [(e.key[:90], e.count, round(e.self_device_time_total / 1e3, 2)) for e in sorted(kern, key=lambda e: -e.self_device_time_total)[:15]]
    row = dict(bpw=bpw, layers=layers, new_tokens=new, wall_ms=round(wall * 1e3, 1), cuda_graph_launches=graph_launches,
               kernel_ms_total=round(dev_us / 1e3, 2), kernels=sum(e.count for e in kern), top_cpu_ms=top_cpu, top_kernels_ms=top_dev)
    log(json.dumps(row)[:3000])
    del model; torch.cuda.empty_cache()
    return row

def main():
    ap = argparse.ArgumentParser(); ap.add_argument('--bpws', default='16,2'); ap.add_argument('--new', type=int, default=17)
    ap.add_argument('--layers', type=int, default=32); ap.add_argument('--out', default=os.environ.get('OUT', '.'))
    ap.add_argument('--skip', default='', help='comma list of parts to skip: eager,eager_generate,generate')
    ap.add_argument('--gen-bpws', default='16,2,4', help='rates of the eager generate part'); ap.add_argument('--gen-new', type=int, default=32)
    a = ap.parse_args(); os.makedirs(a.out, exist_ok=True); E.CB = E.E8P_CB
    torch._logging.set_logs(perf_hints=True, recompiles=True, graph_breaks=True)
    def log(s): print(s, flush=True)
    res = dict(gpu=torch.cuda.get_device_name(), torch=torch.__version__, triton=triton.__version__)
    skip = a.skip.split(',')
    res.update(date=time.strftime('%Y-%m-%d'), command='PYTHONPATH=. python3 benchmarks/diag_generate.py ' + ' '.join(sys.argv[1:]))
    def save():                                             # after every part and rate: a timeout keeps what was done
        with open(os.path.join(a.out, 'diag_generate.json'), 'w') as f: json.dump(res, f, indent=1)
    if 'eager' not in skip: res['eager_linear'] = eager_linear(a.out); log(json.dumps(res['eager_linear']))
    save()
    if 'eager_generate' not in skip:
        res['eager_generate'] = []
        eager_generate([int(b) for b in a.gen_bpws.split(',')], a.layers, a.gen_new, log, res['eager_generate'], save)
    if 'generate' not in skip:
        res['generate'] = []
        for b in a.bpws.split(','):
            res['generate'].append(gen_profile(int(b), a.layers, a.new, log)); save()

if __name__ == '__main__': main()
