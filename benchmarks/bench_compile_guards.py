"""What torch.compile checks before every call of a compiled decode step (its guards), for a model of nn.Linear layers against
the same model with GLQ layers, on the CPU (no GPU needed: the guards are host work, the same on any machine). The GLQ layers are
stand-ins whose forward returns zeros through the library's `op_forward` (so the traced graph and the guards are those of real
GLQ layers, without their kernels); `old` is `op_forward` as it was before 2026-12-03 (diag_generate_steps.old_op_forward), which
read every layer's group while tracing. Model: a Llama of `--layers` layers (hidden 64), one decode step with a static cache,
torch.compile(backend='aot_eager', fullgraph=True).

Usage (repo root): PYTHONPATH=. python3 benchmarks/bench_compile_guards.py [--layers 32] [--calls 20] [--out DIR]
Method: per model, a warm-up call, then torch.profiler over `calls` calls: 'TorchDynamo Cache Lookup' (the guard checks) and
'Torch-Compiled Region' ms per call; guards: the number of checks in dynamo's guard tree (lines of its `guards` log with a check)."""
import argparse, datetime, io, json, logging, os, platform, sys
import torch, torch.nn as nn
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from transformers import LlamaConfig, LlamaForCausalLM, StaticCache
import glq.quantized_linear as QL
from diag_generate_steps import old_op_forward

class StandIn(nn.Module):
    "A GLQ layer's interface to torch.compile (registered, grouped, traced through op_forward) with zeros for an output."
    OLD = False
    def __init__(self, n, m):
        super().__init__(); self.in_features, self.out_features, self.bias = n, m, None
        for b in ('Qidxs', 'SU', 'SV', 'Wscale', 'resid_scale'): self.register_buffer(b, torch.zeros(1))
        QL.register_op_layer(self)
    def _eager_forward(self, x): return x.new_zeros(*x.shape[:-1], self.out_features)
    def forward(self, x): return (old_op_forward if StandIn.OLD else QL.op_forward)(self, x)

def build(kind, layers):
    cfg = LlamaConfig(hidden_size=64, intermediate_size=128, num_hidden_layers=layers, num_attention_heads=4, num_key_value_heads=2, vocab_size=256)
    torch.manual_seed(0); m = LlamaForCausalLM(cfg).eval()
    if kind != 'linear':
        for layer in m.model.layers:
            for p in (layer.self_attn, layer.mlp):
                for n, lin in list(p.named_children()):
                    if isinstance(lin, nn.Linear): setattr(p, n, StandIn(lin.in_features, lin.out_features))
        for g in QL.group_shared_inputs(m): g.trace = {}      # the old op_forward's bookkeeping (unused by the library's)
    return cfg, m

@torch.no_grad()
def measure(kind, layers, calls):
    StandIn.OLD = kind == 'glq_old'
    torch._dynamo.reset(); cfg, m = build(kind, layers)
    cache = StaticCache(config=cfg, max_cache_len=64)
    ctr = [l.cumulative_length for l in cache.layers if torch.is_tensor(getattr(l, 'cumulative_length', None))]
    tok, pos = torch.zeros(1, 1, dtype=torch.long), torch.tensor([3])
    kw = dict(past_key_values=cache, use_cache=True, position_ids=pos[None], cache_position=pos)
    def step():
        for c in ctr: c.zero_()                 # the same cache slot every call
        return f(tok, **kw)
    buf = io.StringIO(); h = logging.StreamHandler(buf); lg = logging.getLogger('torch._dynamo.guards'); lg.addHandler(h)
    torch._logging.set_logs(guards=True)
    try: f = torch.compile(m, backend='aot_eager', fullgraph=True); step()
    finally: torch._logging.set_logs(); lg.removeHandler(h)
    guards = sum(1 for l in buf.getvalue().splitlines() if '+- ' in l and 'GuardManager' not in l)
    for _ in range(3): step()
    with torch.profiler.profile() as p:
        for _ in range(calls): step()
    ev = {e.key: e.cpu_time_total / 1e3 / calls for e in p.key_averages()}
    region = next((v for k, v in ev.items() if k.startswith('Torch-Compiled Region')), None)
    return dict(model=kind, layers=layers, guards=guards, cache_lookup_ms=round(ev['TorchDynamo Cache Lookup'], 3),
                compiled_region_ms=round(region, 3) if region else None)

def main():
    ap = argparse.ArgumentParser(); ap.add_argument('--layers', type=int, default=32); ap.add_argument('--calls', type=int, default=20)
    ap.add_argument('--out', default='benchmarks/results'); a = ap.parse_args()
    rows = [measure(k, a.layers, a.calls) for k in ('linear', 'glq', 'glq_old', 'linear', 'glq', 'glq_old')]   # twice: the host's noise
    for r in rows: print(r, flush=True)
    res = dict(rows=rows, host=dict(machine=platform.node(), cpu=platform.processor() or platform.machine(), cores=os.cpu_count()),
               software=dict(torch=torch.__version__), date=datetime.date.today().isoformat(),
               command='PYTHONPATH=. python3 benchmarks/bench_compile_guards.py ' + ' '.join(sys.argv[1:]), method=__doc__.strip().split('\n\n')[-1])
    with open(os.path.join(a.out, 'compile_guards_cpu.json'), 'w') as fh: json.dump(res, fh, indent=1)

if __name__ == '__main__': main()
