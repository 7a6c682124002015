"""End-to-end batch-1 decode speed: a Llama-3-8B-shaped model (random weights, built locally from a LlamaConfig, no
download) in bf16 vs GLQ 2, 3 and 4 bpw (every decoder nn.Linear replaced by a GLQ layer with random indices and signs,
run through glq.inference_kernel.glq_layer_forward; embeddings, norms and lm_head stay bf16), on a CUDA GPU.

Usage (repo root): PYTHONPATH=. python3 benchmarks/bench_e2e.py [--layers 32] [--ctx 128] [--steps 100] [--out DIR] [--shared 0,1] [--compile 0,1]

Method: HF StaticCache (max length ctx+16), sdpa attention. A prompt of `ctx` random tokens is prefilled, then one
decode step (1 token, batch 1) is captured in a CUDA graph and replayed `steps` times at the same cache position (the
attention work is that of a ctx-token context); tokens/s = 1 / median replay time (triton.testing.do_bench, L2 not
flushed: the weights are far larger than the L2 anyway). If graph capture fails the eager step is timed instead and the
row says so. With --compile 1 the step is first compiled by torch.compile (inductor, default mode; each GLQ linear is the
opaque glq::linear op) and the compiled step is captured the same way; its ratio is against bf16 compiled the same way, and the row gives its
logits' relative error against the uncompiled step (compiled_vs_eager_rel_err). Memory: torch.cuda.memory_allocated after building the model (weights + tables), and the peak during
prefill + decode (results/e2e_h200.json of 2026-11-29 predates that reset: its mem_peak_GiB includes building the bf16
model that the GLQ models are made from). Sanity check: the replayed logits equal an eager step's logits (same cache state) within bf16 noise.
"""
import argparse, json, os, sys, time, datetime, platform, inspect
import torch, triton
from torch import nn
from transformers import LlamaConfig, LlamaForCausalLM, StaticCache
from glq.codebook import E8ShellCodebook, E8PCodebook, E8SmallCodebook
from glq.inference_kernel import glq_layer_forward
from glq.quantized_linear import group_shared_inputs, register_op_layer, op_forward

CB = E8ShellCodebook(); E8P_CB = E8PCodebook(); SMALL = E8SmallCodebook()

class GLQLinear(nn.Module):
    "Minimal GLQ layer with the buffers glq_layer_forward reads (random record)."
    def __init__(self, n, m, bpw, device, gen):
        super().__init__()
        self.in_features, self.out_features = n, m
        ri = lambda shape: torch.randint(-32768, 32768, shape, device=device, dtype=torch.int32, generator=gen).to(torch.int16)
        self.register_buffer('Qidxs', ri((m, n // 8)))
        q2 = {4: lambda: ri((m, n // 8)), 3: lambda: torch.randint(0, 256, (m, n // 8), device=device, dtype=torch.int32, generator=gen).to(torch.uint8)}
        self.register_buffer('Qidxs2', q2[bpw]() if bpw in q2 else None)          # 3 bpw: the 256-point second stage
        self.register_buffer('SU', torch.randint(0, 256, (m // 8,), device=device, generator=gen, dtype=torch.int32).to(torch.uint8))
        self.register_buffer('SV', torch.randint(0, 256, (n // 8,), device=device, generator=gen, dtype=torch.int32).to(torch.uint8))
        # Wscale: keeps activations O(1) through 32 random layers (codewords have norm ~3 per 8 weights)
        self.register_buffer('Wscale', torch.tensor([0.5 / n ** 0.5], device=device))
        rs = 0.49 if bpw == 3 else 0.29 if CB is not E8P_CB else 0.26
        self.register_buffer('resid_scale', torch.tensor([rs], device=device) if bpw in (3, 4) else torch.zeros(0, device=device))
        self.codebooks = {2: [CB], 3: [CB, SMALL], 4: [CB, CB]}[bpw]
        self.bias = None
        register_op_layer(self)                 # under torch.compile the layer is one opaque op (glq::linear)
    def _eager_forward(self, x): return glq_layer_forward(self, x)
    def forward(self, x): return op_forward(self, x)

def build(layers, bpw, device='cuda', shared=True):
    cfg = LlamaConfig(hidden_size=4096, intermediate_size=14336, num_hidden_layers=layers, num_attention_heads=32,
                      num_key_value_heads=8, vocab_size=128256, max_position_embeddings=8192, rope_theta=500000.0,
                      rms_norm_eps=1e-5, tie_word_embeddings=False)
    cfg._attn_implementation = 'sdpa'
    torch.set_default_dtype(torch.bfloat16); torch.manual_seed(0)     # the same bf16 parts (embeddings, norms, lm_head) in every build
    try:
        with torch.device(device): model = LlamaForCausalLM(cfg)
    finally: torch.set_default_dtype(torch.float32)
    model.eval()
    if bpw != 16:
        gen = torch.Generator(device=device).manual_seed(0)
        for layer in model.model.layers:
            for parent in (layer.self_attn, layer.mlp):
                for name, lin in list(parent.named_children()):
                    if isinstance(lin, nn.Linear):
                        setattr(parent, name, GLQLinear(lin.in_features, lin.out_features, bpw, device, gen))
        if shared: group_shared_inputs(model)     # as from_pretrained does: q/k/v and gate/up rotate their input in one launch
        torch.cuda.empty_cache()
    return cfg, model

def step_kwargs(model, cache, pos):
    kw = dict(past_key_values=cache, use_cache=True, position_ids=pos[None])
    if 'cache_position' in inspect.signature(model.model.forward).parameters: kw['cache_position'] = pos
    return kw

@torch.no_grad()
def run(layers, bpw, ctx, steps, log, shared=True, compile_=False):
    torch.cuda.empty_cache(); torch.cuda.reset_peak_memory_stats()
    t0 = time.time()
    cfg, model = build(layers, bpw, shared=shared)
    mem_model = torch.cuda.memory_allocated()
    torch.cuda.reset_peak_memory_stats()     # peak below = prefill + decode, not the bf16 build that GLQ models start from
    log(f"[{bpw} bpw, shared inputs {int(shared)}] built in {time.time()-t0:.0f}s, {mem_model/2**30:.2f} GiB allocated")
    cache = StaticCache(config=cfg, max_cache_len=ctx + 16)
    g = torch.Generator(device='cuda').manual_seed(1)
    prompt = torch.randint(0, cfg.vocab_size, (1, ctx), device='cuda', generator=g)
    model(prompt, **step_kwargs(model, cache, torch.arange(ctx, device='cuda')))
    torch.cuda.synchronize()
    tok = torch.randint(0, cfg.vocab_size, (1, 1), device='cuda', generator=g)
    pos = torch.tensor([ctx], device='cuda')
    # StaticLayer keeps a device counter of filled slots that every update advances: reset it inside the step (captured
    # in the graph), so that every replay writes slot `ctx` again instead of running off the end of the cache
    counters = [l.cumulative_length for l in getattr(cache, 'layers', []) if torch.is_tensor(getattr(l, 'cumulative_length', None))]
    fwd, eager_ref = model, None
    if compile_:     # the uncompiled step's logits first, to compare the compiled ones with (same cache state: the step rewrites slot ctx)
        for c in counters: c.fill_(ctx)
        eager_ref = model(tok, **step_kwargs(model, cache, pos)).logits.float().clone()
        # the decode step through torch.compile (inductor, no CUDA graphs of its own: the step is captured below)
        torch._dynamo.reset(); torch._dynamo.utils.counters.clear(); fwd = torch.compile(model, dynamic=False)
    def step():
        for c in counters: c.fill_(ctx)
        return fwd(tok, **step_kwargs(model, cache, pos)).logits
    t1 = time.time()
    s = torch.cuda.Stream(); s.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(s):
        for _ in range(3): ref = step()
    torch.cuda.current_stream().wait_stream(s); torch.cuda.synchronize()
    ref = ref.float().clone(); warm_s = time.time() - t1
    breaks = sum(torch._dynamo.utils.counters['graph_break'].values()) if compile_ else None
    vs_eager = ((ref - eager_ref).norm() / eager_ref.norm()).item() if compile_ else None
    if compile_: log(f"  compiled in {warm_s:.0f}s, {breaks} graph breaks, logits vs the uncompiled step: rel err {vs_eager:.2e}")
    mode = 'cuda_graph'
    try:
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph): out = step()
        graph.replay(); torch.cuda.synchronize()
        err = ((out.float() - ref).norm() / ref.norm()).item()
        fn = graph.replay
    except Exception as e:
        log(f"  graph capture failed ({type(e).__name__}: {str(e)[:300]}); timing eager steps")
        torch.cuda.synchronize(); mode = 'eager'; err = 0.0; fn = step; out = step()
    finite = bool(torch.isfinite(out.float()).all())
    t = triton.testing.do_bench(fn, warmup=25, rep=max(100, steps * 5), return_mode='median')
    peak = torch.cuda.max_memory_allocated()
    row = dict(bpw=bpw, shared_inputs=bool(shared) and bpw != 16, compiled=bool(compile_), graph_breaks=breaks, compiled_vs_eager_rel_err=vs_eager, warmup_s=round(warm_s, 1), layers=layers, ctx=ctx, mode=mode, ms_per_token=round(t, 3), tokens_per_s=round(1000 / t, 1),
               mem_model_GiB=round(mem_model / 2**30, 3), mem_peak_GiB=round(peak / 2**30, 3),
               replay_vs_eager_rel_err=err, logits_finite=finite, eager_logits_sum=float(ref.double().sum()))
    log(f"  {row}")
    del model, cache, fn; torch.cuda.empty_cache()
    return row

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--layers', type=int, default=32); ap.add_argument('--ctx', type=int, default=128)
    ap.add_argument('--steps', type=int, default=100); ap.add_argument('--bpws', default='16,2,4')
    ap.add_argument('--out', default=os.environ.get('OUT', 'benchmarks/results'))
    ap.add_argument('--set', action='append', default=[], help='NAME=VALUE: override a glq.inference_kernel constant')
    ap.add_argument('--shared', default='1', help='comma list of 0/1: GLQ rows with q/k/v and gate/up sharing one input rotation (group_shared_inputs)')
    ap.add_argument('--compile', default='0', help='comma list of 0/1: rows with the decode step compiled by torch.compile (inductor; GLQ linears as the glq::linear op) before the CUDA-graph capture')
    ap.add_argument('--codebook', default='e8shell-v1', choices=['e8shell-v1', 'e8p-v1'], help='codebook of the GLQ layers')
    a = ap.parse_args(); os.makedirs(a.out, exist_ok=True)
    global CB
    if a.codebook == 'e8p-v1': CB = E8P_CB
    import glq.inference_kernel as K
    for kv in a.set:
        k, v = kv.split('=', 1); old = getattr(K, k)
        setattr(K, k, type(old)(v) if old is not None and not isinstance(old, str) else v)
    logf = open(os.path.join(a.out, 'bench_e2e.log'), 'a')
    def log(s): print(s, flush=True); logf.write(s + '\n'); logf.flush()
    import transformers
    log(f"# {torch.cuda.get_device_name()} torch {torch.__version__} triton {triton.__version__} transformers {transformers.__version__}")
    rows = [run(a.layers, int(b), a.ctx, a.steps, log, shared=bool(int(sh)), compile_=bool(int(cp))) for cp in a.compile.split(',')
            for b in a.bpws.split(',') for sh in (['1'] if int(b) == 16 else a.shared.split(','))]
    for r in rows:          # the same random model with and without shared input rotations must give the same logits
        twin = next((t for t in rows if t['bpw'] == r['bpw'] and t['compiled'] == r['compiled'] and t['shared_inputs'] != r['shared_inputs']), None)
        if twin: r['same_logits_as_unshared'] = r['eager_logits_sum'] == twin['eager_logits_sum']; log(f"  {r['bpw']} bpw shared vs unshared logits equal: {r['same_logits_as_unshared']}")
    for r in rows:       # against bf16 run the same way (compiled or not)
        bf = next((t for t in rows if t['bpw'] == 16 and t['compiled'] == r['compiled']), None)
        if bf: r['speedup_vs_bf16'] = round(r['tokens_per_s'] / bf['tokens_per_s'], 3)
    res = dict(rows=rows, model='Llama-3-8B shape (LlamaConfig: 4096 hidden, 14336 intermediate, 32 heads, 8 kv heads, '
               f'vocab 128256), {a.layers} layers, random weights', hardware=dict(gpu=torch.cuda.get_device_name(), host=platform.node()),
               software=dict(torch=torch.__version__, triton=triton.__version__, transformers=transformers.__version__),
               date=datetime.date.today().isoformat(), command='PYTHONPATH=. python3 benchmarks/bench_e2e.py ' + ' '.join(sys.argv[1:]),
               method=__doc__.strip().split('\n\n')[2])
    res['codebook'] = a.codebook
    with open(os.path.join(a.out, 'e2e_h200.json' if a.codebook == 'e8shell-v1' else 'e2e_e8p_h200.json'), 'w') as f: json.dump(res, f, indent=1)
    print('\nsummary: ' + '; '.join(f"{r['bpw']} bpw: {r['tokens_per_s']} tok/s ({r['mode']}, {r['mem_model_GiB']} GiB)" for r in rows))

if __name__ == '__main__': main()
