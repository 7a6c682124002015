"""Where a compiled `generate` decode step goes, on a GPU, for bf16 and GLQ in one run: the per-step wall time inside
`generate` (static cache, transformers' own compile, mode 'reduce-overhead'), the GPU kernel time of the decode steps (from
torch.profiler: kernels of a `new`-token call minus those of a 1-token call, divided by new - 1), and so the host time the GPU waits
for; plus a cProfile of one call (the host's top functions by own time). GLQ runs twice when asked (`--ab`): with the
library's `op_forward` (one constant plan per layer, `_op_plan`), and with the one before 2026-12-03 (the group and its trace
bookkeeping read while tracing, so checked on every call), to measure what the guards cost; both must make the same tokens.

Usage (repo root, GPU): PYTHONPATH=. python3 benchmarks/diag_generate_steps.py [--bpws 16,2] [--ab 1] [--new 64] [--layers 32] [--out DIR]
Writes diag_generate_steps_h200.json and diag_generate_steps_cprofile_<row>.txt under --out. Step ms: median over 3 calls of
the intervals between consecutive stopping-criteria calls (one per token), the first 4 steps of each call left out."""
import argparse, cProfile, datetime, io, json, os, pstats, statistics, sys, time
import torch
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_e2e as E
from transformers import StoppingCriteria, StoppingCriteriaList

class Stamps(StoppingCriteria):
    "Records the host time of every call (one per new token) and never stops."
    def __init__(self): self.t = []
    def __call__(self, input_ids, scores, **kw):
        self.t.append(time.perf_counter())
        return torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)

def old_op_forward(layer, x):
    "glq.quantized_linear.op_forward as it was before 2026-12-03 (commit 44062e9), for the A/B row: reads the group while tracing."
    if torch.compiler.is_compiling():
        gi = getattr(layer, 'input_group', None)
        key = 0
        if gi is not None:
            g, i = gi
            key = g.key if i < len(g.ids) and g.ids[i] == id(layer) else 0
        if not key: return torch.ops.glq.linear(x, id(layer))
        g, i = layer.input_group; t = g.trace
        if t.get('x') is not x: t.update(x=x, y=torch.ops.glq.group_linear(x, key), left=len(g.offsets))
        y = t['y']; t['left'] -= 1
        if not t['left']: t.clear()
        return y[..., g.offsets[i]:g.offsets[i] + layer.out_features]
    return layer._eager_forward(x)

def gen(model, prompt, new, **kw):
    return model.generate(prompt, max_new_tokens=new, min_new_tokens=new, do_sample=False, cache_implementation='static', **kw)

def kernel_ms(model, prompt, new):
    from torch.profiler import profile, ProfilerActivity
    torch.cuda.synchronize()
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as p:
        gen(model, prompt, new); torch.cuda.synchronize()
    return sum(e.self_device_time_total for e in p.key_averages() if e.device_type == torch.autograd.DeviceType.CUDA) / 1e3

@torch.no_grad()
def run(name, bpw, layers, ctx, new, out, log, old=False, model=None):
    torch._dynamo.reset()
    if model is None:
        torch.cuda.empty_cache(); cfg, model = E.build(layers, bpw)
        model.generation_config.eos_token_id = None; model.generation_config.pad_token_id = 0
    E.op_forward = old_op_forward if old else E._lib_op_forward
    if old:
        for m in model.modules():
            gi = getattr(m, 'input_group', None)
            if gi is not None: gi[0].trace = {}
    g = torch.Generator(device='cuda').manual_seed(1)
    prompt = torch.randint(0, model.config.vocab_size, (1, ctx), device='cuda', generator=g)
    t0 = time.time()
    for _ in range(2): gen(model, prompt, new)
    warm = time.time() - t0
    steps, toks = [], None
    for _ in range(3):
        s = Stamps(); torch.cuda.synchronize()
        toks = gen(model, prompt, new, stopping_criteria=StoppingCriteriaList([s])); torch.cuda.synchronize()
        d = [b - a for a, b in zip(s.t, s.t[1:])][4:]
        steps.append(statistics.median(d) * 1e3)
    step = statistics.median(steps)
    kn, k1 = kernel_ms(model, prompt, new), kernel_ms(model, prompt, 1)     # the cache keeps its length: no new graph
    gpu_step = (kn - k1) / (new - 1)
    pr = cProfile.Profile(); pr.enable(); gen(model, prompt, new); torch.cuda.synchronize(); pr.disable()
    sio = io.StringIO(); pstats.Stats(pr, stream=sio).sort_stats('tottime').print_stats(35)
    with open(os.path.join(out, f'diag_generate_steps_cprofile_{name}.txt'), 'w') as f: f.write(sio.getvalue())
    row = dict(name=name, bpw=bpw, layers=layers, ctx=ctx, new_tokens=new, step_ms=round(step, 3), step_ms_calls=[round(v, 3) for v in steps],
               tokens_per_s=round(1e3 / step, 1), gpu_kernel_ms_per_step=round(gpu_step, 3), host_wait_ms_per_step=round(step - gpu_step, 3),
               warmup_s=round(warm, 1), old_op_forward=old)
    log(f"  {row}")
    return row, model, toks

def main():
    ap = argparse.ArgumentParser(); ap.add_argument('--bpws', default='16,2'); ap.add_argument('--ab', type=int, default=1)
    ap.add_argument('--new', type=int, default=64); ap.add_argument('--ctx', type=int, default=128); ap.add_argument('--layers', type=int, default=32)
    ap.add_argument('--out', default=os.environ.get('OUT', 'benchmarks/results'))
    a = ap.parse_args(); os.makedirs(a.out, exist_ok=True)
    E.CB = E.E8P_CB; E._lib_op_forward = E.op_forward
    import transformers, triton
    def log(s): print(s, flush=True)
    log(f"# {torch.cuda.get_device_name()} torch {torch.__version__} triton {triton.__version__} transformers {transformers.__version__}")
    res = dict(rows=[], hardware=dict(gpu=torch.cuda.get_device_name()), software=dict(torch=torch.__version__, triton=triton.__version__,
               transformers=transformers.__version__), date=datetime.date.today().isoformat(),
               command='PYTHONPATH=. python3 benchmarks/diag_generate_steps.py ' + ' '.join(sys.argv[1:]), method=__doc__.strip().split('\n\n')[-1])
    def save():
        with open(os.path.join(a.out, 'diag_generate_steps_h200.json'), 'w') as f: json.dump(res, f, indent=1)
    for b in map(int, a.bpws.split(',')):
        name = 'bf16' if b == 16 else f'glq{b}'
        row, model, toks = run(name, b, a.layers, a.ctx, a.new, a.out, log)
        res['rows'].append(row); save()
        if b != 16 and a.ab:
            row2, _, toks2 = run(name + '_old_op_forward', b, a.layers, a.ctx, a.new, a.out, log, old=True, model=model)
            row2['same_tokens_as_new'] = bool(torch.equal(toks, toks2)); res['rows'].append(row2); save()
        del model; torch.cuda.empty_cache()
    bf = next((r for r in res['rows'] if r['bpw'] == 16), None)
    for r in res['rows']:
        if bf: r['vs_bf16'] = round(bf['step_ms'] / r['step_ms'], 3)
    save()
    print('\nsummary: ' + '; '.join(f"{r['name']}: {r['step_ms']} ms/step ({r.get('vs_bf16')}x bf16), GPU {r['gpu_kernel_ms_per_step']} ms" for r in res['rows']))

if __name__ == '__main__': main()
