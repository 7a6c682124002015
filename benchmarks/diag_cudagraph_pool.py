"""Diagnose torch.compile mode 'reduce-overhead' (CUDA-graph trees) on a tiny GLQ Llama: which live tensors the trees'
memory-pool check finds, where they were allocated and what keeps them alive.

Usage (repo root, GPU): PYTHONPATH=. python3 benchmarks/diag_cudagraph_pool.py [--set NAME=VALUE ...] [--ungrouped]
Prints OK (compiled logits against eager) or, on the pool error, the allocation histories and the referrers of each
live tensor (dict keys and the owning objects' types)."""
import argparse, gc, re, sys
import torch
import glq.inference_kernel as K
from glq.quantizer import quantize_weight
from glq.quantized_linear import from_quantized, group_shared_inputs
from transformers import LlamaConfig, LlamaForCausalLM

def owners(t, depth=3):
    "Chains of referrers of tensor `t`, up to `depth` levels, as text."
    out = []
    def walk(o, path, d):
        for r in gc.get_referrers(o):
            if type(r).__name__ in ('frame', 'list_iterator'): continue
            if isinstance(r, dict): lab = f"dict[{[k for k, v in r.items() if v is o][:3]!r}]"
            elif isinstance(r, (list, tuple)): lab = f"{type(r).__name__}(len {len(r)})"
            else: lab = type(r).__name__
            if d <= 1: out.append(' <- '.join(path + [lab]))
            else: walk(r, path + [lab], d - 1)
    walk(t, [f"tensor{tuple(t.shape)} {t.dtype}"], depth)
    return out[:12]

def _ptr(o):
    "The storage address of a real CUDA tensor, else None (fake and functional tensors have none)."
    try: return o.untyped_storage().data_ptr() if isinstance(o, torch.Tensor) and o.is_cuda else None
    except RuntimeError: return None

def main():
    ap = argparse.ArgumentParser(); ap.add_argument('--set', action='append', default=[]); ap.add_argument('--ungrouped', action='store_true')
    a = ap.parse_args()
    for kv in a.set:
        k, v = kv.split('=', 1); setattr(K, k, type(getattr(K, k))(v))
    torch._inductor.config.triton.cudagraph_trees_history_recording = True
    cfg = LlamaConfig(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, vocab_size=96)
    torch.manual_seed(0); lm = LlamaForCausalLM(cfg).eval()
    for i, (nm, l) in enumerate([(nm, l) for nm, l in lm.named_modules() if isinstance(l, torch.nn.Linear) and 'layers' in nm]):
        lm.set_submodule(nm, from_quantized(quantize_weight(l.weight.data, bpw=2 + int(nm.split('.')[2]), seed=i, use_ldlq=False, codebook='e8p-v1')))
    lm.to('cuda')
    if not a.ungrouped: group_shared_inputs(lm)
    K.register_kernels()
    print(f"# sets {a.set} ungrouped {a.ungrouped}", flush=True)
    t1 = torch.tensor([[5]], device='cuda')
    with torch.no_grad():
        f = torch.compile(lm, mode='reduce-overhead', fullgraph=True)
        try:
            ys = [f(t1, use_cache=False).logits.clone() for _ in range(4)]
            ref = lm(t1, use_cache=False).logits
            print('OK max abs err', max(float((y - ref).abs().max()) for y in ys), flush=True)
        except RuntimeError as e:
            msg = str(e); print(msg[:8000], flush=True)
            ptrs = {int(p) for p in re.findall(r'Data Pointer: (\d+)', msg)}
            for o in gc.get_objects():
                if _ptr(o) in ptrs:
                    print('LIVE', tuple(o.shape), o.dtype, *owners(o), sep='\n   ', flush=True)

if __name__ == '__main__': main()
