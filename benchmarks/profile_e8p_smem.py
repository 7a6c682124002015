"""Run under Nsight Compute: the byte-permute matvec at batch 1 (14336x4096, 2 and 4 bpw) with its pair tables gathered
through L1 (SMT=0) and read from shared memory (SMT=1), two launches each, in that order; ncu as below profiles every
launch (8 kernels: results/ncu_e8p_smem_h200.txt), the second of each pair with the kernel already compiled and loaded.

Usage: ncu -k regex:pairs --launch-skip-before-match 0 --section SpeedOfLight --section WarpStateStats ... \
       python3 benchmarks/profile_e8p_smem.py"""
import torch
from glq.codebook import E8PCodebook
from glq.inference_kernel import plan_matmul, glq_matmul_partials, _e8p_kinds

ep = E8PCodebook(); m, n = 14336, 4096
x = torch.randn(1, n, device='cuda', dtype=torch.float16)
for nst in (1, 2):
    Qs = [torch.randint(-32768, 32768, (m, n // 8), dtype=torch.int16, device='cuda') for _ in range(nst)]
    rs = torch.tensor([0.26][:nst - 1], device='cuda')
    for smt in (0, 1):
        P = {**plan_matmul(1, m, n, nst, **_e8p_kinds([ep] * nst)), 'SMT': smt}
        for _ in range(2): glq_matmul_partials(x, Qs, [ep] * nst, rs, P)
        torch.cuda.synchronize(); print('stages', nst, 'SMT', smt, 'plan', P, flush=True)
