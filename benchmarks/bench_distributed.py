"""Multi-GPU GLQ quantization timing on a Llama-3-8B-shaped model: 1, 2 and 4 GPUs (torchrun + NCCL).

STATUS: NOT YET RUN. Written without access to a multi-GPU machine; no results file exists. Run it on a host with
>= 4 GPUs:

    python benchmarks/bench_distributed.py --gpus 1,2,4 --layers 2

The driver starts `torchrun --nproc-per-node N` once per N (with NCCL_NVLS_ENABLE=0: NVLink multicast stays off), each
rank builds the same random-weight model (Llama-3-8B shapes: hidden 4096, intermediate 14336, 32 heads / 8 kv heads,
vocab 128256; only `--layers` decoder layers are built, since the per-layer time is what scales), runs
`glq.quantize_model.quantize_layers(..., dist=DistContext())` on random calibration tokens, and rank 0 reports the
wall time per decoder layer. The driver also checks that the records of every N are bit-identical to N=1 (hash of
all record tensors), and writes benchmarks/results/distributed_llama3_8b_shape.json with the command, date and
hardware beside the numbers.

What to expect: sample forward passes + Hessian capture split N ways; the linears of a layer are spread over ranks by
cost, and down_proj (4096x14336) alone is ~45% of the LDLQ work, so beyond 2 ranks the layer time is bounded by it
(row-splitting a linear is the next step). Every rank holds the whole (here: truncated) model on its GPU. Note that
quantize_layers runs LDLQ on the CPU (as in the single-process pipeline), so each rank gets cpu_count/N threads.
"""
import os, sys, json, time, argparse, hashlib, subprocess, platform, datetime
from pathlib import Path

RESULT = Path(__file__).parent/'results'/'distributed_llama3_8b_shape.json'


def llama3_8b_shape(layers: int):
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM
    cfg = LlamaConfig(vocab_size=128256, hidden_size=4096, intermediate_size=14336, num_hidden_layers=layers,
                      num_attention_heads=32, num_key_value_heads=8, max_position_embeddings=8192, rope_theta=500000.0,
                      tie_word_embeddings=False)
    torch.manual_seed(0)
    with torch.device('cpu'):
        m = LlamaForCausalLM(cfg)
    return m.to(torch.bfloat16).eval()


def rank_main(a):
    "One rank, started by torchrun."
    import torch
    from glq.distributed import init_from_env, close_process_group
    from glq.quantize_model import quantize_layers
    dist, device = init_from_env('cuda')
    world = dist.world if dist else 1
    torch.set_num_threads(max(1, (os.cpu_count() or 1) // world))   # torchrun sets OMP_NUM_THREADS=1; LDLQ runs on the CPU
    model = llama3_8b_shape(a.layers).to(device)
    tokens = torch.randint(0, 128256, (a.nsamples, a.seqlen), generator=torch.Generator().manual_seed(0))
    if dist is not None: dist.barrier()
    torch.cuda.synchronize(); t0 = time.perf_counter()
    recs = quantize_layers(model, tokens, bpw=a.bpw, seed=0, device=device, dist=dist, log=None, progress=False)
    torch.cuda.synchronize(); secs = time.perf_counter() - t0
    if dist is None or dist.is_main:
        h = hashlib.sha256()
        for n in sorted(recs):
            for k, v in sorted(recs[n].state_dict().items()): h.update(n.encode() + k.encode() + v.cpu().numpy().tobytes())
        print('RESULT ' + json.dumps(dict(world=dist.world if dist else 1, seconds=secs, seconds_per_layer=secs / a.layers,
                                          records=len(recs), sha256=h.hexdigest(),
                                          peak_gpu_gb=torch.cuda.max_memory_allocated() / 2**30)), flush=True)
    if dist is not None: close_process_group()


def driver(a):
    import torch
    env = dict(os.environ, NCCL_NVLS_ENABLE='0')
    rows = []
    for n in [int(x) for x in a.gpus.split(',')]:
        cmd = [sys.executable, '-m', 'torch.distributed.run', '--nproc-per-node', str(n), __file__, '--rank-main',
               '--layers', str(a.layers), '--nsamples', str(a.nsamples), '--seqlen', str(a.seqlen), '--bpw', str(a.bpw)]
        print('$', ' '.join(cmd), flush=True)
        r = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if r.returncode: sys.exit(f"{n} GPUs failed:\n{r.stderr[-4000:]}")
        row = json.loads([l for l in r.stdout.splitlines() if l.startswith('RESULT ')][-1][7:])
        print(row, flush=True); rows.append(row)
    base = rows[0]
    for r in rows:
        r['speedup'] = base['seconds'] / r['seconds']
        r['bit_identical_to_first'] = r['sha256'] == base['sha256']
    out = dict(command=' '.join([sys.executable] + sys.argv), date=datetime.datetime.now().isoformat(timespec='seconds'),
               hardware=f"{torch.cuda.get_device_name(0)} x{torch.cuda.device_count()}, {os.cpu_count()} CPUs, {platform.node()}",
               setting=dict(model='Llama-3-8B shapes, random bf16 weights', layers=a.layers, nsamples=a.nsamples,
                            seqlen=a.seqlen, bpw=a.bpw, NCCL_NVLS_ENABLE='0'), rows=rows)
    RESULT.parent.mkdir(exist_ok=True)
    RESULT.write_text(json.dumps(out, indent=2))
    print('wrote', RESULT)
    if not all(r['bit_identical_to_first'] for r in rows): sys.exit('records differ between GPU counts')


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--gpus', default='1,2,4', help='comma separated process counts (powers of two)')
    ap.add_argument('--layers', type=int, default=2, help='decoder layers to build and quantize')
    ap.add_argument('--nsamples', type=int, default=128)
    ap.add_argument('--seqlen', type=int, default=2048)
    ap.add_argument('--bpw', type=int, default=2)
    ap.add_argument('--rank-main', action='store_true', help=argparse.SUPPRESS)
    a = ap.parse_args()
    rank_main(a) if a.rank_main else driver(a)
