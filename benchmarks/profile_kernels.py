"""One launch of each GLQ kernel for Nsight Compute: 4096x4096 2 bpw layer at batch 1 (RHT-in, mv, RHT-out),
batch 16 (mm) and batch 2048 (RHT, dequantize, cuBLAS, RHT).
Usage: ncu --clock-control none -k regex:'_glq|_rht' PYTHONPATH=. python3 benchmarks/profile_kernels.py"""
import torch, sys
sys.path.insert(0, 'benchmarks')
from bench_kernels import make_layer, glq_fn
L = make_layer(4096, 4096, 2)
for B in (1, 16, 2048):
    x = torch.randn(B, 4096, device='cuda', dtype=torch.bfloat16)
    glq_fn(L, x)(); torch.cuda.synchronize()
