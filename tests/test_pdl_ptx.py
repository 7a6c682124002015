"""Programmatic dependent launch (glq.inference_kernel.PDL) on the compiled PTX, without a GPU: each layer kernel is compiled
for sm_90 with Triton's own ptxas, with PDL on and off. With it on, the kernel lets its successor launch, then waits once
(griddepcontrol.wait) before any global load, store or cp.async, and issues nothing before the wait but L2 prefetch hints
of its own index rows; an RHT kernel lets its successor launch at its start, a matmul kernel after its main loop; with it off none of these instructions are there. The kernels must be real JIT functions, so the
check runs in a child process with TRITON_INTERPRET=0 (the suite runs under the interpreter). The byte-permute matvec with
its tables in shared memory (SMT), and the tensor-core kernel with them, are the exception: they copy their decode tables (made once, never written by a preceding
kernel) into shared memory before the wait, so there the only memory instructions before the wait are those table loads,
each followed by its shared store. The matvec with the input RHT fused in (FIN) stores its slice of the rotated input after the
wait and before its main loop."""
import os, re, subprocess, sys

def _ptx(fn, types:dict, consts:dict, **opts) -> str:
    import triton
    from triton.backends.compiler import GPUTarget
    from triton.compiler import ASTSource
    sig = {**types, **{k: 'constexpr' for k in consts}}
    return triton.compile(ASTSource(fn=fn, signature=sig, constexprs=consts), target=GPUTarget('cuda', 90, 32),
                          options=dict(num_warps=4, num_stages=3, **opts)).asm['ptx']

def _lines(ptx:str) -> dict:
    L = ptx.splitlines(); at = lambda pat: [i for i, l in enumerate(L) if re.search(pat, l)]
    return dict(wait=at(r'griddepcontrol\.wait'), launch=at(r'griddepcontrol\.launch_dependents'), prefetch=at(r'prefetch\.global\.L2'),
                mem=at(r'\bld\.global|\bst\.global|cp\.async|\batom\.global'), st=at(r'\bst\.global'),
                ld=at(r'\bld\.global'), sts=at(r'\bst\.shared'))

def check():
    import triton.language as tl
    from glq import inference_kernel as K
    i32 = lambda *ns: {n: 'i32' for n in ns}
    kernels = {
        'byte-permute matvec': (K._glq_mv_e8p_pairs_kernel, dict(xp_ptr='*i32', q1_ptr='*i64', q2_ptr='*i64', t_ptr='*i64', t2_ptr='*i64',
            rs_ptr='*fp32', out_ptr='*fp32', **i32('B', 'M', 'N32', 'k32_split', 'stride_xpb', 'stride_q', 'stride_os', 'stride_ob'),
            qb1_ptr='*i64', qb2_ptr='*i64', qc1_ptr='*i64', qc2_ptr='*i64', rsb_ptr='*fp32', rsc_ptr='*fp32', **i32('MA', 'MB', 'stride_xg'),
            x_ptr='*bf16', sv_ptr='*u8', hf_ptr='*fp16', stride_svg='i32'),
            dict(BB=1, BM=32, BK32=16, NST=2, S2=0, G=3, ASM=1, SMT=0, FIN=0, NA=1, LA=16, LB=16, S0=1.0, S1=1.0, S2F=1.0, PREC='tf32'), True),
        'nibble matvec': (K._glq_mv_e8p_kernel, dict(x_ptr='*fp16', xp_ptr='*i32', q1_ptr='*i16', q2_ptr='*i16', t_ptr='*i32', rs_ptr='*fp32',
            out_ptr='*fp32', **i32('B', 'M', 'N8', 'k8_split', 'stride_xb', 'stride_xpb', 'stride_q', 'stride_os', 'stride_ob')),
            dict(BB=4, BM=32, BK8=16, NST=2, ASM=True, CM='', PF=0, POPC=1), True),
        'tensor-core kernel': (K._glq_mm_e8p_kernel, dict(x_ptr='*fp16', q1_ptr='*i64', q2_ptr='*i64', t_ptr='*i64', l2_ptr='*i32',
            rs_ptr='*fp32', out_ptr='*fp32', **i32('B', 'M', 'N8', 'k8_split', 'stride_xb', 'stride_q', 'stride_os', 'stride_ob')),
            dict(BM=64, BB=16, BK8=8, NST=2, M2=1, DOT=tl.float16, ASM=True, W64=1, SP=0, SMT=0), True),
        'RHT (kron)': (K._rht_kron_kernel, dict(in_ptr='*fp32', out_ptr='*fp16', sign_ptr='*u8', bias_ptr='*fp16', scale_ptr='*fp32',
            hr_ptr='*fp16', mt_ptr='*fp16', **i32('n_split', 'n_rows', 'stride_split', 'stride_in', 'stride_out'), scale='fp32',
            **i32('in_rows', 'stride_sign', 'sign_rows')), dict(R=32, Q=128, RP=32, QP=128, BN=16, BK=64, BB=1, SIGN_IN=False, HAS_BIAS=True,
            HAS_SCALE_PTR=True, PREC='tf32', HALF=False, GS=1, DT2=1, RL=2), False),
    }
    fn, types, consts, _ = kernels['byte-permute matvec']
    kernels['byte-permute matvec, tables in shared memory'] = (fn, types, {**consts, 'S2': 1, 'SMT': 1}, True)
    kernels['byte-permute matvec, input RHT fused in'] = (fn, types,
        {**consts, 'FIN': 1, 'NA': 4, 'LA': 32, 'LB': 32, 'S0': 0.5, 'S1': 32 ** -0.5, 'S2F': 32 ** -0.5, 'PREC': 'tf32'}, True)
    fn, types, consts, _ = kernels['tensor-core kernel']
    kernels['tensor-core kernel, tables in shared memory'] = (fn, types, {**consts, 'SMT': 1}, True)
    fn, types, consts, _ = kernels['RHT (kron)']
    kernels['RHT (kron, split factors)'] = (K._rht_kron_split_kernel, types, dict(R=128, Q=112, RP=128, QP=128, RS=4, CS=1, QCP=128,
        SIGN_IN=False, HAS_BIAS=True, HAS_SCALE_PTR=True, PREC='tf32', HALF=True, GS=1, DT2=1), False)
    for name, (fn, types, consts, prefetch) in kernels.items():
        pf = dict(PFL=4) if prefetch else {}
        on = _lines(_ptx(fn, types, {**consts, 'PDL': 1, **pf}, launch_pdl=True))
        off = _lines(_ptx(fn, types, {**consts, 'PDL': 0, **({'PFL': 0} if prefetch else {})}))
        assert not (off['wait'] or off['launch'] or off['prefetch']) and off['mem'], (name, 'PDL off')
        assert len(on['wait']) == 1 and len(on['launch']) == 1, (name, 'one wait, one launch_dependents')
        w, l = on['wait'][0], on['launch'][0]
        if prefetch and consts.get('FIN'):      # its x̃ slice is stored (after the wait) before the main loop
            assert w < l < max(on['st']), (name, 'a matmul kernel lets its successor launch after its main loop, before its output stores')
        elif prefetch: assert w < l < min(on['st']), (name, 'a matmul kernel lets its successor launch after its main loop, before its stores')
        else: assert l < w, (name, 'an RHT kernel lets its successor launch at its start')
        if consts.get('SMT'):
            pre = [i for i in on['mem'] if i < w]
            assert pre and all(i in on['ld'] for i in pre), (name, 'before the wait: table loads only')
            assert len([i for i in on['sts'] if i < w]) >= len(pre), (name, 'each table load before the wait goes to shared memory')
        else: assert on['mem'] and min(on['mem']) > w, (name, 'a global load/store before griddepcontrol.wait')
        if prefetch: assert on['prefetch'] and max(on['prefetch']) < w, (name, 'the index prefetch comes before the wait')
        else: assert not on['prefetch'], name
        print(f"{name}: launch_dependents at line {l}, wait at {w}, {len(on['prefetch'])} prefetches before it, "
              f"first memory access at {min(on['mem'])}")

def test_pdl_ptx():
    r = subprocess.run([sys.executable, __file__], env={**os.environ, 'TRITON_INTERPRET': '0'}, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr

if __name__ == '__main__': check()
