"""Peak host memory of `glq-quantize` with and without `--low-memory`, on a random Llama saved as a bf16 safetensors folder.

    python benchmarks/bench_low_memory.py --layers 12,48 --out benchmarks/results/low_memory_cpu.json

For each depth in `--layers`: builds a Llama-architecture model with random weights (hidden `--hidden`, intermediate
2.75x, 8/2 heads, SmolLM2's tokenizer and vocabulary), saves it as a bf16 safetensors folder with its tokenizer, then runs
`glq-quantize` on it twice in fresh processes (same arguments, 2 bpw, a few short C4 calibration samples): once loading
the model whole, once with `--low-memory`. Reports each run's peak RSS (as the CLI prints it), wall time, and whether the
two checkpoints are equal tensor for tensor. With `--low-memory` the peak should not grow with depth. CPU only.
"""
import argparse, json, os, re, subprocess, sys, tempfile, time, datetime, platform
from pathlib import Path

MAKE = """
import sys, torch
from transformers import LlamaConfig, LlamaForCausalLM
from glq.quantize_model import load_model, smollm2_gguf
L, hidden, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
_, tok = load_model(str(smollm2_gguf()))
cfg = LlamaConfig(vocab_size=len(tok), hidden_size=hidden, intermediate_size=hidden * 11 // 4, num_hidden_layers=L,
                  num_attention_heads=8, num_key_value_heads=2, tie_word_embeddings=False)
torch.manual_seed(0)
m = LlamaForCausalLM(cfg).to(torch.bfloat16)
m.save_pretrained(out); tok.save_pretrained(out)
print(sum(p.numel() for p in m.parameters()))
"""

SAME = """
import sys, torch
from safetensors.torch import load_file
A, B = load_file(sys.argv[1]), load_file(sys.argv[2])
print(sorted(A) == sorted(B) and all(torch.equal(A[k], B[k]) for k in A))
"""

def main():
    # The driver imports no torch and builds nothing itself: a child's peak RSS (getrusage) starts from its parent's
    # resident size at fork, so every measured process is started from this small one.
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--layers', default='12,48', help='comma separated depths'); ap.add_argument('--hidden', type=int, default=512)
    ap.add_argument('--nsamples', type=int, default=4)
    ap.add_argument('--seqlen', type=int, default=128); ap.add_argument('--out', default=None)
    a = ap.parse_args()
    data = Path(__file__).resolve().parents[2]/'shared'/'data'/'c4'/'c4_validation_2k.jsonl'
    rows, models = [], []
    for L in [int(x) for x in a.layers.split(',')]:
        with tempfile.TemporaryDirectory() as d:
            d = Path(d); hf = d/'model'
            r = subprocess.run([sys.executable, '-c', MAKE, str(L), str(a.hidden), str(hf)], capture_output=True, text=True)
            if r.returncode: sys.exit(f"building the model failed:\n{r.stderr[-3000:]}")
            size_gb = sum(f.stat().st_size for f in hf.glob('*.safetensors')) / 1e9
            models.append(dict(layers=L, hidden=a.hidden, params=int(r.stdout.split()[-1]), safetensors_gb=round(size_gb, 3), dtype='bfloat16'))
            for mode, extra in (('whole', []), ('low_memory', ['--low-memory'])):
                cmd = ['glq-quantize', '--model', str(hf), '--output', str(d/mode), '--bpw', '2', '--nsamples', str(a.nsamples),
                       '--seqlen', str(a.seqlen), '--calib', str(data)] + extra
                t = time.perf_counter(); r = subprocess.run(cmd, capture_output=True, text=True); secs = time.perf_counter() - t
                if r.returncode: sys.exit(f"{mode} failed:\n{r.stderr[-3000:]}")
                rss = float(re.findall(r'peak RSS ([\d.]+) GB', r.stdout)[-1])
                rows.append(dict(layers=L, mode=mode, peak_rss_gb=rss, seconds=round(secs, 1), command=' '.join(cmd[:1] + ['...'] + cmd[3:])))
                print(rows[-1], flush=True)
            r = subprocess.run([sys.executable, '-c', SAME, str(d/'whole'/'model.safetensors'), str(d/'low_memory'/'model.safetensors')],
                               capture_output=True, text=True)
            rows[-1]['identical_to_whole'] = r.stdout.strip().endswith('True')
    out = dict(date=datetime.datetime.now().isoformat(timespec='seconds'), hardware=f"{platform.machine()}, {os.cpu_count()} CPUs",
               command='python ' + ' '.join(sys.argv), models=models, rows=rows)
    print(json.dumps(out, indent=1))
    if a.out: Path(a.out).write_text(json.dumps(out, indent=1))

if __name__ == '__main__': main()
