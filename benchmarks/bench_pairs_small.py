"""3 bpw (E8P + 256-point stage) at batch 1 on a CUDA GPU: the byte-permute matvec with the 256-point stage from
`small_pair_table` (`E8P_PAIRS_SMALL`, S2) against the generic matvec the dispatch runs otherwise and bf16 `F.linear`, the
product alone (partial sums), Llama-3-8B shapes, 8 layer copies per CUDA graph, L2 flushed, medians (`_timing.graph_bench`).
First checks, on the GPU: the tensor-core kernel's 256-point tile (PTX) equals every codeword, and the S2 matvec is within
2e-3 of float64 and bit-identical across two calls. Prints a table and writes JSON to --out.

Usage: PYTHONPATH=. python3 benchmarks/bench_pairs_small.py --out DIR [--rep 20]"""
import argparse, json, os, datetime
import torch, triton
import torch.nn.functional as F
from _timing import graph_bench
from glq.codebook import E8PCodebook, E8SmallCodebook
from glq.inference_kernel import plan_matmul, glq_matmul_partials, glq_dequant_matmul_ref, small_pair_lut, _small_tile16
import triton.language as tl

@triton.jit
def _probe(q_ptr, t_ptr, out_ptr, BM: tl.constexpr, BK8: tl.constexpr):
    r = tl.arange(0, BM); j = tl.arange(0, BK8); kk = tl.arange(0, BK8 * 8)
    q = tl.load(q_ptr + r[:, None] * BK8 + j[None, :]).to(tl.int32) & 255
    tl.store(out_ptr + r[:, None] * (BK8 * 8) + kk[None, :], _small_tile16(q, tl.load(t_ptr + q), True).to(tl.float32))

def main():
    ap = argparse.ArgumentParser(); ap.add_argument('--out', default='.'); ap.add_argument('--rep', type=int, default=20)
    a = ap.parse_args()
    ep, sm, dev = E8PCodebook(), E8SmallCodebook(), 'cuda'
    q = torch.arange(256, device=dev).to(torch.uint8).reshape(32, 8); out = torch.empty(32, 64, device=dev)
    _probe[(1,)](q, small_pair_lut(sm, dev), out, BM=32, BK8=8)
    probe_ok = bool(torch.equal(out.cpu(), (sm.codebook * 2).reshape(32, 64))); print('tensor-core 256-point tile (PTX) = codebook:', probe_ok, flush=True)
    rows = []
    for (m, n) in ((14336, 4096), (4096, 14336), (4096, 4096), (1024, 4096)):
        copies = [[torch.randint(-32768, 32768, (m, n // 8), dtype=torch.int16, device=dev),
                   torch.randint(0, 256, (m, n // 8), dtype=torch.uint8, device=dev)] for _ in range(8)]
        rs = torch.tensor([0.26], device=dev); x = torch.randn(1, n, device=dev, dtype=torch.float16)
        ref = glq_dequant_matmul_ref(x.double(), copies[0][0], ep, torch.tensor([1.0], device=dev), copies[0][1], sm, resid_scale=rs)
        Ws = [torch.randn(m, n, device=dev, dtype=torch.bfloat16) for _ in range(4)]; xb = x.to(torch.bfloat16)
        bf16 = graph_bench([lambda W=W: F.linear(xb, W) for W in Ws], a.rep); del Ws
        Ps = {'generic': plan_matmul(1, m, n, 2, any_e8p=True, e8p_first=True)}
        Ps['pairs_small'] = {**plan_matmul(1, m, n, 2, 'mv', e8p=True), 'S2': 1}
        for name, P in Ps.items():
            y1 = glq_matmul_partials(x, copies[0], [ep, sm], rs, P)
            det = bool(torch.equal(y1, glq_matmul_partials(x, copies[0], [ep, sm], rs, P)))
            y = y1.sum(0).double() * 0.5; err = ((y - ref).norm() / ref.norm()).item()
            us = graph_bench([lambda c=c: glq_matmul_partials(x, c, [ep, sm], rs, P) for c in copies], a.rep)
            rows.append(dict(out=m, **{'in': n}, bpw=3, batch=1, variant=name, plan=P, us=round(us, 2), bf16_us=round(bf16, 2),
                             rel_err=err, deterministic=det, nan=bool(torch.isnan(y1).any())))
            print(f"{m:5d}x{n:<5d} 3bpw B1 {name:12s}: {us:7.2f} us  bf16 {bf16:6.2f}  x{bf16/us:4.2f}  err {err:.1e}  det {det}", flush=True)
    os.makedirs(a.out, exist_ok=True)
    json.dump(dict(rows=rows, probe_small_tile_ok=probe_ok, gpu=torch.cuda.get_device_name(), date=datetime.datetime.now().isoformat(timespec='seconds'),
                   command=f'PYTHONPATH=. python3 benchmarks/bench_pairs_small.py --out $OUT --rep {a.rep}',
                   software=dict(torch=torch.__version__, triton=triton.__version__)),
              open(os.path.join(a.out, 'pairs_small_h200.json'), 'w'), indent=1)

if __name__ == '__main__': main()
