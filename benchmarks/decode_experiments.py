"""Experiment B: decode stage-1 indices from the small structured tables (entry words + pdep, ~18 KB) instead of the
256 KB packed table. Three batch-1 matvec variants of the same kernel (2 bpw, one stage), for timing side by side:
  DEC=0  packed:  one 4-byte gather per index from the 256 KB packed table (the library's kernel)
  DEC=1  struct:  group compare + 3 gathers (entry abs word, entry sign word, pdep byte) from ~18 KB of tables in L1
  DEC=2  gather:  the same, but the three tables are held in registers/shared memory and read with tl.gather
Correctness: `check()` compares with glq.inference_kernel.glq_dequant_matmul_ref (runs under TRITON_INTERPRET=1 too)."""
import torch, triton, triton.language as tl
from glq.codebook import E8ShellCodebook
from glq.inference_kernel import _decode8, codebook_lut, glq_dequant_matmul_ref

@triton.jit
def _dec_struct(q, absw_ptr, signw_ptr, pdep_ptr, gf_ptr, gs_ptr, ge_ptr, ta, ts, tp,
                NG: tl.constexpr, DEC: tl.constexpr, SHAPE0: tl.constexpr, SHAPE1: tl.constexpr):
    "q: (S0, S1) int32 in [0, 65536) -> (S0, S1, 8) float32 doubled coordinates"
    gi = tl.zeros(q.shape, tl.int32)
    for k in tl.static_range(1, NG):
        gi += (q >= tl.load(gf_ptr + k)).to(tl.int32)
    first = tl.load(gf_ptr + gi); sb = tl.load(gs_ptr + gi); e0 = tl.load(ge_ptr + gi)
    d = q - first
    e = e0 + (d >> sb); b = d & ((1 << sb) - 1)
    if DEC == 1:
        sw = tl.load(signw_ptr + e); aw = tl.load(absw_ptr + e)
        pb = tl.load(pdep_ptr + (sw >> 8) + b).to(tl.int32)
    else:
        ef = tl.reshape(e, (SHAPE0 * SHAPE1,))
        sw = tl.reshape(tl.gather(ts, ef, 0), (SHAPE0, SHAPE1))
        aw = tl.reshape(tl.gather(ta, ef, 0), (SHAPE0, SHAPE1))
        pos = (sw >> 8) + b
        pw = tl.reshape(tl.gather(tp, tl.reshape(pos >> 2, (SHAPE0 * SHAPE1,)), 0), (SHAPE0, SHAPE1))
        pb = (pw >> ((pos & 3) * 8)) & 255
    s8 = (sw & 0xFF) ^ pb
    j = tl.arange(0, 8)
    a = (aw[:, :, None] >> (4 * j[None, None, :])) & 15
    af = (a | 0x4B000000).to(tl.float32, bitcast=True) - 8388608.0
    return tl.where(((s8[:, :, None] >> j[None, None, :]) & 1) != 0, -af, af)

@triton.jit
def _mv_dec_kernel(x_ptr, q_ptr, lut_ptr, absw_ptr, signw_ptr, pdep_ptr, pdepw_ptr, gf_ptr, gs_ptr, ge_ptr, out_ptr,
                   M, N8, k8_split, stride_q, stride_os,
                   BM: tl.constexpr, BK8: tl.constexpr, NG: tl.constexpr, DEC: tl.constexpr, TAB: tl.constexpr,
                   CM: tl.constexpr = '', EV: tl.constexpr = ''):
    pid_m, pid_k = tl.program_id(0), tl.program_id(1)
    rm = pid_m * BM + tl.arange(0, BM)
    j0 = tl.arange(0, BK8); e8 = tl.arange(0, 8)
    k_lo = pid_k * k8_split; k_hi = tl.minimum(k_lo + k8_split, N8)
    acc = tl.zeros((BM, BK8), tl.float32)
    ti = tl.arange(0, TAB)
    ta = tl.load(absw_ptr + ti); ts = tl.load(signw_ptr + ti); tp = tl.load(pdepw_ptr + ti)
    for k8 in range(k_lo, k_hi, BK8):
        j = k8 + j0
        mask = (rm[:, None] < M) & (j[None, :] < k_hi)
        q = tl.load(q_ptr + rm[:, None] * stride_q + j[None, :], mask=mask, other=0, cache_modifier=CM).to(tl.int32) & 0xFFFF
        if DEC == 0: w = _decode8(tl.load(lut_ptr + q, eviction_policy=EV))
        else: w = _dec_struct(q, absw_ptr, signw_ptr, pdep_ptr, gf_ptr, gs_ptr, ge_ptr, ta, ts, tp, NG, DEC, BM, BK8)
        xv = tl.load(x_ptr + j[:, None] * 8 + e8[None, :], mask=j[:, None] < k_hi, other=0.).to(tl.float32)
        acc += tl.sum(w * xv[None, :, :], axis=2)
    tl.store(out_ptr + pid_k * stride_os + rm, tl.sum(acc, axis=1), mask=rm < M)

TAB = 2048
_CARVED = set()
def tables(cb, device):
    "The structured tables, padded to TAB words, on `device`."
    c = cb.__dict__.setdefault('_glq_struct', {})
    k = str(torch.device(device))
    if k not in c:
        pad = lambda v: torch.cat([v, torch.zeros(TAB - len(v), dtype=v.dtype)]).to(torch.int32)
        pd = torch.cat([cb.pdep, torch.zeros(4 * TAB - len(cb.pdep), dtype=torch.uint8)]).view(-1, 4).to(torch.int64)
        pdw = (pd << torch.tensor([0, 8, 16, 24])).sum(1)
        pdw = torch.where(pdw >= 2**31, pdw - 2**32, pdw).to(torch.int32)
        g = cb.groups
        c[k] = dict(absw=pad(cb.entry_absw), signw=pad(cb.entry_signw), pdep=cb.pdep.to(torch.int32), pdepw=pdw,
                    gf=g[:, 1].to(torch.int32), gs=g[:, 0].to(torch.int32), ge=g[:, 2].to(torch.int32), NG=len(g))
        c[k] = {kk: (v.to(device) if torch.is_tensor(v) else v) for kk, v in c[k].items()}
    return c[k]

def mv_dec(x, Q, cb, dec, BM=16, BK8=64, split=None, num_warps=4, num_stages=3, cm='', ev='', carveout=None):
    "x: (n,) rotated input; Q: (m, n/8) int16 -> (m,) float32 in doubled units."
    m, n8 = Q.shape
    T = tables(cb, x.device); lut = codebook_lut(cb, x.device)
    if split is None: split = max(1, min(-(-4 * 132 // -(-m // BM)), n8 // (4 * BK8) or 1, 64))
    k8 = -(-n8 // split); k8 = -(-k8 // BK8) * BK8; split = -(-n8 // k8)
    out = torch.empty(split, m, dtype=torch.float32, device=x.device)
    ck = _mv_dec_kernel[(triton.cdiv(m, BM), split)](x, Q, lut, T['absw'], T['signw'], T['pdep'], T['pdepw'], T['gf'], T['gs'], T['ge'],
                                               out, m, n8, k8, Q.stride(0), out.stride(0), BM=BM, BK8=BK8, NG=T['NG'],
                                               DEC=dec, TAB=TAB, num_warps=num_warps, num_stages=num_stages, CM=cm, EV=ev)
    if carveout is not None and id(ck) not in _CARVED:   # shared-memory carveout (percent of the maximum): 0 = all of it to L1
        import ctypes
        _CARVED.add(id(ck))
        f = getattr(ck, 'function', None)
        if f is None: raise RuntimeError("no function handle on the launched kernel")
        r = ctypes.CDLL('libcuda.so.1').cuFuncSetAttribute(ctypes.c_void_p(f), 9, int(carveout))
        if r != 0: raise RuntimeError(f"cuFuncSetAttribute -> {r}")
    return out.sum(0)

def check(device, m=40, n=512, decs=(0, 1, 2)):
    cb = E8ShellCodebook(); x = torch.randn(n, device=device)
    Q = torch.randint(-32768, 32768, (m, n // 8), dtype=torch.int16, device=device)
    ref = glq_dequant_matmul_ref(x[None].cpu(), Q.cpu(), cb, 2.0)[0]   # kernels return doubled units
    res = {}
    for d in decs:
        y = mv_dec(x, Q, cb, d).cpu()
        res[d] = ((y.double() - ref).norm() / ref.norm()).item()
    return res

if __name__ == '__main__':
    import os; os.environ.setdefault('TRITON_INTERPRET', '1')
    print(check('cpu'))
