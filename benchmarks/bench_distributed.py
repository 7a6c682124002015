"""Multi-GPU GLQ quantization timing on a Llama-3-8B-shaped model (torchrun + NCCL, 1/2/4... GPUs).

    NCCL_NVLS_ENABLE=0 python benchmarks/bench_distributed.py --gpus 1,2 --layers 32 --nsamples 128 --seqlen 2048

The driver starts `torchrun --nproc-per-node N` once per N (NCCL_NVLS_ENABLE=0 is forced: NVLink multicast stays off).
Every rank builds the same random-weight model from a config (Llama-3-8B shapes: hidden 4096, intermediate 14336,
32 heads / 8 kv heads, vocab 128256; `--layers` decoder layers) on its GPU with a fixed seed, moves it to host memory,
and runs `glq.quantize_model.quantize_layers(..., device='cuda', dist=DistContext())` on random calibration tokens:
the calibration samples are sharded over the ranks, each decoder layer visits the GPU in turn (streaming: a GPU never
holds more than two decoder layers, the current one and the next being copied in, plus the activations of its samples), Hessians are combined in the fixed
summation tree, the layer's linears are quantized on the ranks' GPUs in parallel and all-gathered. Rank 0 reports
the wall time, a sha256 over every record tensor (the N-GPU records must equal the 1-GPU ones bit for bit) and the
seconds each linear took; every rank reports its peak GPU memory. Results go to `--out` (JSON, merged by GPU count).
"""
import os, sys, json, time, argparse, hashlib, subprocess, platform, datetime
from pathlib import Path

RESULT = Path(__file__).parent/'results'/'distributed_llama3_8b_shape.json'


def llama3_8b_shape(layers: int, device):
    "A Llama-3-8B-shaped model with random weights, initialized on `device` (fast, seeded), returned in host memory."
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM
    cfg = LlamaConfig(vocab_size=128256, hidden_size=4096, intermediate_size=14336, num_hidden_layers=layers,
                      num_attention_heads=32, num_key_value_heads=8, max_position_embeddings=8192, rope_theta=500000.0,
                      tie_word_embeddings=False)
    torch.manual_seed(0); torch.cuda.manual_seed_all(0)
    with torch.device(device):
        m = LlamaForCausalLM(cfg).to(torch.bfloat16)
    return m.cpu().eval()


def rank_main(a):
    "One rank, started by torchrun."
    import torch
    import torch.distributed as tdist
    from glq.distributed import init_from_env, close_process_group, assign_linears
    from glq.quantize_model import quantize_layers
    dist, device = init_from_env('cuda')
    if dist is None: device = 'cuda:0'; torch.cuda.set_device(0)
    world = dist.world if dist else 1
    torch.set_num_threads(max(1, (os.cpu_count() or 1) // world))
    t = time.perf_counter()
    model = llama3_8b_shape(a.layers, device)
    build = time.perf_counter() - t
    torch.cuda.reset_peak_memory_stats()
    tokens = torch.randint(0, 128256, (a.nsamples, a.seqlen), generator=torch.Generator().manual_seed(0))
    if dist is not None: dist.barrier()
    torch.cuda.synchronize(); t0 = time.perf_counter()
    timings = {}
    recs = quantize_layers(model, tokens, bpw=a.bpw, seed=0, device=device, dist=dist, log=None, progress=False,
                           timings=timings if a.timings else None)
    torch.cuda.synchronize(); secs = time.perf_counter() - t0
    peak = torch.cuda.max_memory_allocated() / 2**30
    peaks, tims = [peak], [timings]
    if dist is not None:
        peaks = [None] * world; tdist.all_gather_object(peaks, peak)
        tims = [None] * world; tdist.all_gather_object(tims, timings)
    if dist is None or dist.is_main:
        h = hashlib.sha256()
        for n in sorted(recs):
            for k, v in sorted(recs[n].state_dict().items()): h.update(n.encode() + k.encode() + v.cpu().numpy().tobytes())
        lin = {n.split('.', 3)[-1]: 0.0 for n in recs}; sweep = dict(lin)
        for n, qw in recs.items():
            lin[n.split('.', 3)[-1]] += qw.metrics['seconds'] / a.layers
            sweep[n.split('.', 3)[-1]] += qw.metrics.get('sweep_seconds', float('nan')) / a.layers
        shapes = {n.split('.', 3)[-1]: qw.shape for n, qw in recs.items() if n.split('.')[2] == '0'}
        owner = assign_linears(shapes, world, device='cuda')
        per_rank = [sum(s for n, s in lin.items() if owner[n] == r) for r in range(world)]
        print('RESULT ' + json.dumps(dict(world=world, seconds=round(secs, 2), seconds_per_layer=round(secs / a.layers, 3),
                                          build_seconds=round(build, 1), records=len(recs), sha256=h.hexdigest(),
                                          peak_gpu_gb_per_rank=[round(p, 2) for p in peaks],
                                          linear_seconds_per_layer={n: round(s, 3) for n, s in lin.items()},
                                          ldlq_sweep_seconds_per_layer={n: round(s, 3) for n, s in sweep.items()},
                                          quantize_seconds_per_layer_per_rank=[round(s, 3) for s in per_rank],
                                          phase_seconds_per_rank=[{k: round(v, 2) for k, v in tm.items()} for tm in tims])), flush=True)
    if dist is not None: close_process_group()


def driver(a):
    import torch
    env = dict(os.environ, NCCL_NVLS_ENABLE='0', TORCH_SYMM_MEM_DISABLE_MULTICAST='1', NVSHMEM_DISABLE_NVLS='1')
    out_path = Path(a.out)
    old = json.loads(out_path.read_text()) if out_path.exists() else {}
    rows = [r for r in old.get('rows', []) if r['world'] not in [int(x) for x in a.gpus.split(',')]]
    for n in [int(x) for x in a.gpus.split(',')]:
        cmd = [sys.executable, '-m', 'torch.distributed.run', '--nproc-per-node', str(n), __file__, '--rank-main',
               '--layers', str(a.layers), '--nsamples', str(a.nsamples), '--seqlen', str(a.seqlen), '--bpw', str(a.bpw)] + (['--timings'] if a.timings else [])
        print('$', ' '.join(cmd), flush=True)
        r = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if r.returncode: sys.exit(f"{n} GPUs failed:\n{r.stderr[-4000:]}")
        row = json.loads([l for l in r.stdout.splitlines() if l.startswith('RESULT ')][-1][7:])
        print(row, flush=True); rows.append(row)
    rows.sort(key=lambda r: r['world'])
    base = rows[0]
    for r in rows:
        r['speedup_vs_1gpu'] = round(base['seconds'] / r['seconds'], 3) if base['world'] == 1 else None
        r['bit_identical_to_1gpu'] = r['sha256'] == base['sha256'] if base['world'] == 1 else None
    out = dict(command=' '.join(['python'] + sys.argv), date=datetime.datetime.now().isoformat(timespec='seconds'),
               hardware=f"{torch.cuda.get_device_name(0)} x{torch.cuda.device_count()}, {os.cpu_count()} CPUs",
               software=f"torch {torch.__version__}",
               setting=dict(model='Llama-3-8B shapes, random bf16 weights', layers=a.layers, nsamples=a.nsamples,
                            seqlen=a.seqlen, bpw=a.bpw, NCCL_NVLS_ENABLE='0'), rows=rows)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(out, indent=1))
    print('wrote', out_path)
    print(f"{'GPUs':>4} {'seconds':>9} {'s/layer':>8} {'speed-up':>8} {'identical':>9}  peak GPU GB per rank")
    for r in rows:
        print(f"{r['world']:>4} {r['seconds']:>9.1f} {r['seconds_per_layer']:>8.2f} {r['speedup_vs_1gpu'] or 0:>8.2f} "
              f"{str(r['bit_identical_to_1gpu']):>9}  {r['peak_gpu_gb_per_rank']}")
    if not all(r['bit_identical_to_1gpu'] in (True, None) for r in rows): sys.exit('records differ between GPU counts')


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--gpus', default='1,2', help='comma separated process counts (powers of two), 1 first')
    ap.add_argument('--layers', type=int, default=32, help='decoder layers to build and quantize (Llama-3-8B has 32)')
    ap.add_argument('--nsamples', type=int, default=128)
    ap.add_argument('--seqlen', type=int, default=2048)
    ap.add_argument('--bpw', type=int, default=2)
    ap.add_argument('--out', default=str(RESULT), help='JSON results file (rows of other GPU counts in it are kept)')
    ap.add_argument('--timings', action='store_true', help='synchronise and time each phase (adds a little time)')
    ap.add_argument('--rank-main', action='store_true', help=argparse.SUPPRESS)
    a = ap.parse_args()
    rank_main(a) if a.rank_main else driver(a)
