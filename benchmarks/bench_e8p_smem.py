"""The byte-permute matvec at batch 1 with its pair tables gathered through L1 (`SMT=0`, the library's default until this
was measured) against the same kernel reading them from shared memory (`SMT=1`, `E8P_SMEM`), on a CUDA GPU, the product
alone (partial sums), Llama-3-8B shapes, 2 bpw (one E8P stage), 3 bpw (E8P + 256-point) and 4 bpw (two E8P stages).

Two kinds of launch: one layer (`glq_matmul_partials`, 8 layer copies per CUDA graph so the indices come from HBM) and the
merged launch of an input group (`glq_group_partials`: q/k/v 4096+1024+1024 and gate/up 14336+14336 from 4096, 4 copies).
bf16 `F.linear` of the same output width is timed in the same run. Medians with L2 flushed (`_timing.graph_bench`).
Checks before timing: both variants within 2e-3 of float64 (single layers), within 1e-4 of each other (the same products
in the same order, only where the table word comes from differs; the fp32 sums of the two builds may be fused differently, so
not bit for bit: the first run, 2026-12-03, expected equality and listed 8 such differences of at most 6.1e-5 as failures),
bit-identical across two calls, no NaN.
Prints a table and writes JSON to --out.

Usage: PYTHONPATH=. python3 benchmarks/bench_e8p_smem.py --out DIR [--rep 30] [--shapes 14336x4096,...] [--bpws 2,3,4]"""
import argparse, json, os, datetime
import torch, triton
import torch.nn.functional as F
from _timing import graph_bench
from glq.codebook import E8PCodebook, E8SmallCodebook
from glq.inference_kernel import plan_matmul, glq_matmul_partials, glq_group_partials, glq_dequant_matmul_ref, _e8p_kinds

EP, SM = E8PCodebook(), E8SmallCodebook()
CBS = {2: [EP], 3: [EP, SM], 4: [EP, EP]}
GROUPS = {'qkv': (4096, 1024, 1024), 'gate_up': (14336, 14336)}

def stages(m, n, bpw, dev):
    "random indices of one layer at `bpw`: (Qs, cbs, rs)"
    Qs = [torch.randint(-32768, 32768, (m, n // 8), dtype=torch.int16, device=dev) if cb is EP else
          torch.randint(0, 256, (m, n // 8), dtype=torch.uint8, device=dev) for cb in CBS[bpw]]
    return Qs, CBS[bpw], torch.tensor([0.26][:len(Qs) - 1], device=dev)

def main():
    ap = argparse.ArgumentParser(); ap.add_argument('--out', default='.'); ap.add_argument('--rep', type=int, default=30)
    ap.add_argument('--shapes', default='14336x4096,4096x14336,4096x4096,1024x4096'); ap.add_argument('--bpws', default='2,3,4')
    ap.add_argument('--groups', default='qkv,gate_up')
    ap.add_argument('--smts', default='0,1', help='SMT values to time: 0 (tables gathered through L1), 1 (in shared memory)')
    ap.add_argument('--name', default='e8p_smem_h200.json')
    a = ap.parse_args(); smts = [int(v) for v in a.smts.split(',')]
    dev = 'cuda'; rows = []; bad = []
    bpws = [int(b) for b in a.bpws.split(',')]
    for sh in a.shapes.split(','):
        m, n = map(int, sh.split('x'))
        Ws = [torch.randn(m, n, device=dev, dtype=torch.bfloat16) for _ in range(min(8, max(2, -(-150_000_000 // (2 * m * n)))))]
        x = torch.randn(1, n, device=dev, dtype=torch.float16); xb = x.to(torch.bfloat16)
        bf16 = graph_bench([lambda W=W: F.linear(xb, W) for W in Ws], a.rep); del Ws
        for bpw in bpws:
            copies = [stages(m, n, bpw, dev) for _ in range(8)]
            Qs, cbs, rs = copies[0]
            ref = glq_dequant_matmul_ref(x.double(), Qs[0], cbs[0], torch.tensor([1.0], device=dev), Qs[1] if len(Qs) > 1 else None,
                                         cbs[1] if len(Qs) > 1 else None, resid_scale=rs)
            P0 = plan_matmul(1, m, n, len(Qs), **_e8p_kinds(cbs)); ys = {}
            for smt in smts:
                P = {**P0, 'SMT': smt}
                y1 = glq_matmul_partials(x, Qs, cbs, rs, P); ys[smt] = y1
                det = bool(torch.equal(y1, glq_matmul_partials(x, Qs, cbs, rs, P)))
                y = y1.sum(0).double() * 0.5; err = ((y - ref).norm() / ref.norm()).item(); nan = bool(torch.isnan(y1).any())
                us = graph_bench([lambda c=c: glq_matmul_partials(x, c[0], c[1], c[2], P) for c in copies], a.rep)
                r = dict(kind='layer', out=m, **{'in': n}, bpw=bpw, batch=1, SMT=smt, plan={k: v for k, v in P.items()}, us=round(us, 2),
                         bf16_us=round(bf16, 2), rel_err=err, deterministic=det, nan=nan)
                rows.append(r)
                if err > 2e-3 or nan or not det: bad.append(r)
                print(f"{m:5d}x{n:<5d} {bpw}bpw SMT{smt}: {us:7.2f} us  bf16 {bf16:6.2f}  x{bf16/us:4.2f}  err {err:.1e}  det {det}", flush=True)
            for r in rows[-len(smts):][1:]:                # each variant against the first: the same products
                d = ((ys[r['SMT']] - ys[smts[0]]).norm() / ys[smts[0]].norm()).item(); r['rel_diff_to_first'] = d; r['equal_to_first'] = bool(torch.equal(ys[smts[0]], ys[r['SMT']]))
                if d > 1e-4: bad.append(dict(out=m, bpw=bpw, what=f"SMT{r['SMT']} differs from SMT{smts[0]}", rel_diff=d))
            del copies
    for gname in [g for g in a.groups.split(',') if g]:
        ms = GROUPS[gname]; n = 4096; M = sum(ms)
        Ws = [torch.randn(M, n, device=dev, dtype=torch.bfloat16) for _ in range(4)]
        x = torch.randn(1, n, device=dev, dtype=torch.float16); xb = x.to(torch.bfloat16)
        bf16 = graph_bench([lambda W=W: F.linear(xb, W) for W in Ws], a.rep); del Ws   # the group's outputs as one bf16 product
        xt = x.expand(len(ms), 1, n).contiguous()
        for bpw in bpws:
            copies = [[stages(mi, n, bpw, dev) for mi in ms] for _ in range(4)]
            P0 = plan_matmul(1, M, n, len(CBS[bpw]), **_e8p_kinds(CBS[bpw])); ys = {}
            for smt in smts:
                P = {**P0, 'SMT': smt}
                y1 = glq_group_partials(xt, copies[0], P); ys[smt] = y1
                det = bool(torch.equal(y1, glq_group_partials(xt, copies[0], P))); nan = bool(torch.isnan(y1).any())
                us = graph_bench([lambda c=c: glq_group_partials(xt, c, P) for c in copies], a.rep)
                r = dict(kind='group', group=gname, outs=list(ms), out=M, **{'in': n}, bpw=bpw, batch=1, SMT=smt, plan=P, us=round(us, 2),
                         bf16_us=round(bf16, 2), deterministic=det, nan=nan)
                rows.append(r)
                if nan or not det: bad.append(r)
                print(f"{gname:8s} {M:5d}x{n:<5d} {bpw}bpw SMT{smt}: {us:7.2f} us  bf16 {bf16:6.2f}  x{bf16/us:4.2f}  det {det}", flush=True)
            for r in rows[-len(smts):][1:]:
                d = ((ys[r['SMT']] - ys[smts[0]]).norm() / ys[smts[0]].norm()).item(); r['rel_diff_to_first'] = d; r['equal_to_first'] = bool(torch.equal(ys[smts[0]], ys[r['SMT']]))
                if d > 1e-4: bad.append(dict(group=gname, bpw=bpw, what=f"SMT{r['SMT']} differs from SMT{smts[0]}", rel_diff=d))
            del copies
    tot = {s: sum(r['us'] for r in rows if r['SMT'] == s) for s in smts}
    print('total us by SMT:', {s: round(t, 1) for s, t in tot.items()})
    os.makedirs(a.out, exist_ok=True)
    json.dump(dict(rows=rows, totals=tot, failures=bad, gpu=torch.cuda.get_device_name(), date=datetime.datetime.now().isoformat(timespec='seconds'),
                   command=f'PYTHONPATH=. python3 benchmarks/bench_e8p_smem.py --out $OUT --rep {a.rep} --shapes {a.shapes} --bpws {a.bpws} --groups {a.groups} --smts {a.smts} --name {a.name}',
                   software=dict(torch=torch.__version__, triton=triton.__version__)),
              open(os.path.join(a.out, a.name), 'w'), indent=1, default=str)
    print('FAILURES', len(bad), bad[:5])

if __name__ == '__main__': main()
