"""Decode speed through Hugging Face's own `generate` (the path a user takes): a Llama-3-8B-shaped model with random
weights (bench_e2e.build: every decoder linear a GLQ layer at 2/3/4 bpw, or bf16), greedy generation with
`cache_implementation="static"`, which makes transformers compile the decode step by itself (torch.compile, mode
"reduce-overhead": inductor with its own CUDA graphs; each GLQ linear is the opaque glq::linear op), against the same
`generate` with compilation disabled (eager step, no CUDA graph).

Usage (repo root): PYTHONPATH=. python3 benchmarks/bench_generate.py [--bpws 16,2,4] [--ctx 128] [--new 128] [--out DIR] [--set NAME=VALUE]

Method: a prompt of `ctx` random tokens; EOS disabled, so every call makes exactly `new` tokens (min_new_tokens). Two warm-up
calls (the first compiles, the second records the CUDA graphs), then each timing is the median of 3 calls with torch.cuda
synchronisation around them. Decode tokens/s = (new - 1) / (t(new) - t(1)): the prefill and the first token, which are not
compiled, cancel out. Rows also give the eager `generate` rate measured the same way and whether the compiled and eager
calls produced the same tokens (they need not: the compiled norms round differently, and a random model has near-ties)."""
import argparse, json, os, sys, time, datetime, platform, statistics
import torch
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_e2e as E

def timed(model, prompt, new, **kw):
    ts, out = [], None
    for _ in range(3):
        torch.cuda.synchronize(); t = time.perf_counter()
        out = model.generate(prompt, max_new_tokens=new, min_new_tokens=new, do_sample=False, cache_implementation='static', **kw)
        torch.cuda.synchronize(); ts.append(time.perf_counter() - t)
    return statistics.median(ts), out

@torch.no_grad()
def run(bpw, ctx, new, log):
    torch.cuda.empty_cache(); torch._dynamo.reset()
    cfg, model = E.build(32, bpw)
    model.generation_config.eos_token_id = None; model.generation_config.pad_token_id = 0
    g = torch.Generator(device='cuda').manual_seed(1)
    prompt = torch.randint(0, cfg.vocab_size, (1, ctx), device='cuda', generator=g)
    t0 = time.time()
    for _ in range(2): model.generate(prompt, max_new_tokens=new, min_new_tokens=new, do_sample=False, cache_implementation='static')
    warm = time.time() - t0
    tn, out_c = timed(model, prompt, new); t1, _ = timed(model, prompt, 1)
    en, out_e = timed(model, prompt, new, disable_compile=True); e1, _ = timed(model, prompt, 1, disable_compile=True)
    same = (out_c == out_e).float().mean().item()
    row = dict(bpw=bpw, ctx=ctx, new_tokens=new, compiled_decode_tokens_per_s=round((new - 1) / (tn - t1), 1),
               eager_decode_tokens_per_s=round((new - 1) / (en - e1), 1), compiled_call_s=round(tn, 3), eager_call_s=round(en, 3),
               warmup_s=round(warm, 1), same_tokens_fraction=round(same, 3),
               mem_peak_GiB=round(torch.cuda.max_memory_allocated() / 2**30, 2))
    log(f"  {row}")
    del model; torch.cuda.empty_cache()
    return row

def main():
    ap = argparse.ArgumentParser(); ap.add_argument('--bpws', default='16,2,4'); ap.add_argument('--ctx', type=int, default=128)
    ap.add_argument('--new', type=int, default=128); ap.add_argument('--out', default=os.environ.get('OUT', 'benchmarks/results'))
    ap.add_argument('--set', action='append', default=[], help='NAME=VALUE: override a glq.inference_kernel constant (e.g. TABLES_OFF_THREAD=1)')
    a = ap.parse_args(); os.makedirs(a.out, exist_ok=True)
    E.CB = E.E8P_CB
    import glq.inference_kernel as K
    for kv in a.set:
        k, v = kv.split('=', 1); setattr(K, k, type(getattr(K, k))(v))
    import transformers, triton
    def log(s): print(s, flush=True)
    log(f"# {torch.cuda.get_device_name()} torch {torch.__version__} triton {triton.__version__} transformers {transformers.__version__}")
    rows = []
    for b in a.bpws.split(','):
        rows.append(run(int(b), a.ctx, a.new, log))
        bf = next((r for r in rows if r['bpw'] == 16), None)
        for r in rows:
            if bf: r['compiled_vs_bf16'] = round(r['compiled_decode_tokens_per_s'] / bf['compiled_decode_tokens_per_s'], 3); r['eager_vs_bf16'] = round(r['eager_decode_tokens_per_s'] / bf['eager_decode_tokens_per_s'], 3)
        res = dict(rows=rows, model='Llama-3-8B shape, 32 layers, random weights, E8P GLQ layers (bench_e2e.build)', codebook='e8p-v1',
                   hardware=dict(gpu=torch.cuda.get_device_name(), host=platform.node()),
                   software=dict(torch=torch.__version__, triton=triton.__version__, transformers=transformers.__version__),
                   date=datetime.date.today().isoformat(), command='PYTHONPATH=. python3 benchmarks/bench_generate.py ' + ' '.join(sys.argv[1:]),
                   method=__doc__.strip().split('\n\n')[2])
        with open(os.path.join(a.out, 'generate_h200.json'), 'w') as f: json.dump(res, f, indent=1)    # after every row: a timeout keeps what was done
    print('\nsummary: ' + '; '.join(f"{r['bpw']} bpw: compiled {r['compiled_decode_tokens_per_s']} tok/s, eager {r['eager_decode_tokens_per_s']}" for r in rows))

if __name__ == '__main__': main()
