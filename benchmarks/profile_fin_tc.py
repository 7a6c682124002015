"""Run under Nsight Compute: (1) the byte-permute matvec at batch 1 (14336x4096, 2 bpw) with the input RHT apart (FIN 0) and
fused in (FIN 1); (2) the tensor-core kernel at batch 16 (same layer) with its pair tables gathered through L1 (SMT 0) and in
shared memory (SMT 1). Two launches of each, in that order (8 kernels; the second of each pair already compiled and loaded).
Results: results/ncu_fin_tc_h200.txt (KERNEL_NOTES.md O).

Usage: ncu -k regex:e8p --section SpeedOfLight --section WarpStateStats --section Occupancy --section LaunchStats \
       --section SchedulerStats python3 benchmarks/profile_fin_tc.py"""
import torch
import glq.inference_kernel as K
from glq.codebook import E8PCodebook

ep = E8PCodebook(); m, n = 14336, 4096
Qs = [torch.randint(-32768, 32768, (m, n // 8), dtype=torch.int16, device='cuda')]
rs = torch.zeros(0, device='cuda')
SV = torch.randint(0, 256, (n // 8,), dtype=torch.uint8, device='cuda')
x = torch.randn(1, n, device='cuda', dtype=torch.bfloat16)
K.FUSE_IN = 1
P = K.plan_matmul(1, m, n, 1, **K._e8p_kinds([ep]))
for fin in (0, 1):
    for _ in range(2):
        if fin: xt = torch.empty(1, n, device='cuda', dtype=torch.float16); K.glq_matmul_partials(xt, Qs, [ep], rs, P, fuse=(x, SV))
        else: K.glq_matmul_partials(K.rht_transform(x, SV, out_dtype=torch.float16), Qs, [ep], rs, P)
    torch.cuda.synchronize(); print('batch 1, FIN', fin, 'plan', P, flush=True)
x16 = torch.randn(16, n, device='cuda', dtype=torch.float16)
for smt in (0, 1):
    P = {**K.plan_matmul(16, m, n, 1, **K._e8p_kinds([ep])), 'SMT': smt}
    for _ in range(2): K.glq_matmul_partials(x16, Qs, [ep], rs, P)
    torch.cuda.synchronize(); print('batch 16, SMT', smt, 'plan', P, flush=True)
