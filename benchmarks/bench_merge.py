"""Merged sibling products (glq.inference_kernel.MERGE_GROUPS) on a CUDA GPU, batch 1: the q/k/v group (4096, 1024, 1024
outputs) and the gate/up group (14336, 14336) of a Llama-3-8B layer, E8P stages at 2, 3 (E8P + 256-point) and 4 bpw, each
group called as a model calls it (every sibling's glq_layer_forward on one input, one shared input rotation), with the
siblings' products in one launch (merged), also the equal-width siblings' output RHTs in one launch (merged_out,
MERGE_OUT; not in the run of 2026-12-02), or one launch each (separate), against bf16 `F.linear` of the same siblings; 8
group copies per CUDA graph, L2 flushed, medians (`_timing.graph_bench`). Checks first: every sibling within 1e-2 of
float64, no NaN, bit-identical reruns. Prints a table, writes JSON.

Usage: cd benchmarks && PYTHONPATH=..:. python3 bench_merge.py --out DIR [--rep 20]"""
import argparse, json, os, datetime
import torch, triton
import torch.nn.functional as F
from torch import nn
from _timing import graph_bench
from glq.codebook import E8PCodebook, E8SmallCodebook
from glq import inference_kernel as K
from glq.quantized_linear import group_shared_inputs

EP, SM = E8PCodebook(), E8SmallCodebook()
VARIANTS = {'merged': dict(MERGE_GROUPS=1, MERGE_OUT=0), 'merged_out': dict(MERGE_GROUPS=1, MERGE_OUT=1),
            'separate': dict(MERGE_GROUPS=0, MERGE_OUT=0)}
DEFAULTS = {k: getattr(K, k) for k in ('MERGE_GROUPS', 'MERGE_OUT')}
GROUPS = {'q/k/v': (('q_proj', 4096), ('k_proj', 1024), ('v_proj', 1024)), 'gate/up': (('gate_proj', 14336), ('up_proj', 14336))}

class Lin(nn.Module):
    def __init__(self, m, n, bpw, g):
        super().__init__(); self.in_features, self.out_features, self.bias = n, m, None
        ri = lambda: torch.randint(-32768, 32768, (m, n // 8), generator=g, device='cuda', dtype=torch.int32).to(torch.int16)
        self.register_buffer('Qidxs', ri())
        q2 = {3: lambda: torch.randint(0, 256, (m, n // 8), generator=g, device='cuda', dtype=torch.int32).to(torch.uint8), 4: ri}
        self.register_buffer('Qidxs2', q2[bpw]() if bpw in q2 else None)
        sg = lambda k: torch.randint(0, 256, (k // 8,), generator=g, device='cuda', dtype=torch.int32).to(torch.uint8)
        self.register_buffer('SU', sg(m)); self.register_buffer('SV', sg(n))
        self.register_buffer('Wscale', torch.tensor([0.012], device='cuda'))
        self.register_buffer('resid_scale', torch.tensor([0.26], device='cuda') if bpw > 2 else torch.zeros(0, device='cuda'))
        self.codebooks = {2: [EP], 3: [EP, SM], 4: [EP, EP]}[bpw]

def main():
    ap = argparse.ArgumentParser(); ap.add_argument('--out', default='.'); ap.add_argument('--rep', type=int, default=20)
    a = ap.parse_args(); n = 4096; rows = []
    for gname, sibs in GROUPS.items():
        for bpw in (2, 3, 4):
            g = torch.Generator(device='cuda').manual_seed(bpw)
            mods = []
            for _ in range(8):
                mod = nn.Module()
                for name, m in sibs: setattr(mod, name, Lin(m, n, bpw, g))
                group_shared_inputs(mod); mods.append(mod)
            x = torch.randn(1, n, device='cuda', dtype=torch.bfloat16)
            call = lambda mod: [K.glq_layer_forward(getattr(mod, name), x) for name, _ in sibs]
            Ws = [[torch.randn(m, n, device='cuda', dtype=torch.bfloat16) for _, m in sibs] for _ in range(3)]
            bf16 = graph_bench([lambda W=W: [F.linear(x, w) for w in W] for W in Ws], a.rep); del Ws
            res = {}
            for v, settings in VARIANTS.items():
                for k_, val in settings.items(): setattr(K, k_, val)
                for mod in mods:
                    for name, _ in sibs: getattr(mod, name).input_group[0].cache.clear()
                ys = call(mods[0]); det = all(torch.equal(u, v) for u, v in zip(ys, call(mods[0])))
                errs = []
                for (name, _), y in zip(sibs, ys):
                    l = getattr(mods[0], name)
                    ref = K.glq_linear_forward_ref(x.double(), l.Qidxs, l.SU, l.SV, l.Wscale, l.codebooks[0], l.Qidxs2,
                                                   l.codebooks[1] if bpw > 2 else None, l.resid_scale)
                    errs.append(((y.double() - ref).norm() / ref.norm()).item())
                merged = getattr(mods[0], sibs[0][0]).input_group[0].cache.get('merge') is not None
                us = graph_bench([lambda mod=mod: call(mod) for mod in mods], a.rep); res[v] = us
                rows.append(dict(group=gname, outs=[m for _, m in sibs], **{'in': n}, bpw=bpw, batch=1, variant=v, settings=settings,
                                 merged=bool(settings['MERGE_GROUPS']), merge_applied=merged,
                                 glq_us=round(us, 2), bf16_us=round(bf16, 2), rel_err=max(errs), deterministic=det,
                                 nan=any(bool(torch.isnan(y).any()) for y in ys)))
            for k_, val in DEFAULTS.items(): setattr(K, k_, val)
            nv = len(VARIANTS); ok = all(r['rel_err'] < 1e-2 and r['deterministic'] and not r['nan'] for r in rows[-nv:])
            print(f"{gname:8s} {bpw} bpw B1: bf16 {bf16:7.2f} us | " + ' | '.join(f"{v} {res[v]:7.2f} (x{bf16/res[v]:.2f})" for v in VARIANTS)
                  + f" | ok {ok} err {max(r['rel_err'] for r in rows[-nv:]):.1e}", flush=True)
    os.makedirs(a.out, exist_ok=True)
    json.dump(dict(rows=rows, gpu=torch.cuda.get_device_name(), date=datetime.datetime.now().isoformat(timespec='seconds'),
                   command=f'cd benchmarks && PYTHONPATH=..:. python3 bench_merge.py --out $OUT --rep {a.rep}',
                   method='every sibling of a group on one input (shared input rotation), 8 group copies per CUDA graph, L2 flushed, median (graph_bench)',
                   settings=dict(PDL=K.PDL, PDL_MM=K.PDL_MM, PDL_TC=K.PDL_TC, PDL_PREFETCH_MAX=K.PDL_PREFETCH_MAX),
                   software=dict(torch=torch.__version__, triton=triton.__version__)),
              open(os.path.join(a.out, 'merge_h200.json'), 'w'), indent=1)

if __name__ == '__main__': main()
