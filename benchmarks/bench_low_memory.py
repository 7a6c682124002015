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

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--layers', default='12,48', help='comma separated depths'); ap.add_argument('--hidden', type=int, default=512)
    ap.add_argument('--nsamples', type=int, default=4)
    ap.add_argument('--seqlen', type=int, default=128); ap.add_argument('--out', default=None)
    a = ap.parse_args()
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM
    from safetensors.torch import load_file
    from glq.quantize_model import load_model, smollm2_gguf
    data = Path(__file__).resolve().parents[2]/'shared'/'data'/'c4'/'c4_validation_2k.jsonl'
    _, tok = load_model(str(smollm2_gguf()))
    rows, models = [], []
    for L in [int(x) for x in a.layers.split(',')]:
        with tempfile.TemporaryDirectory() as d:
            d = Path(d); hf = d/'model'
            cfg = LlamaConfig(vocab_size=len(tok), hidden_size=a.hidden, intermediate_size=a.hidden * 11 // 4, num_hidden_layers=L,
                              num_attention_heads=8, num_key_value_heads=2, tie_word_embeddings=False)
            torch.manual_seed(0)
            m = LlamaForCausalLM(cfg).to(torch.bfloat16)
            nparams = sum(p.numel() for p in m.parameters())
            m.save_pretrained(hf); tok.save_pretrained(hf); del m
            size_gb = sum(f.stat().st_size for f in hf.glob('*.safetensors')) / 1e9
            models.append(dict(layers=L, hidden=a.hidden, params=nparams, safetensors_gb=round(size_gb, 3), dtype='bfloat16'))
            for mode, extra in (('whole', []), ('low_memory', ['--low-memory'])):
                cmd = ['glq-quantize', '--model', str(hf), '--output', str(d/mode), '--bpw', '2', '--nsamples', str(a.nsamples),
                       '--seqlen', str(a.seqlen), '--calib', str(data)] + extra
                t = time.perf_counter(); r = subprocess.run(cmd, capture_output=True, text=True); secs = time.perf_counter() - t
                if r.returncode: sys.exit(f"{mode} failed:\n{r.stderr[-3000:]}")
                rss = float(re.search(r'peak RSS ([\d.]+) GB', r.stdout).group(1))
                rows.append(dict(layers=L, mode=mode, peak_rss_gb=rss, seconds=round(secs, 1), command=' '.join(cmd[:1] + ['...'] + cmd[3:])))
                print(rows[-1], flush=True)
            A, B = load_file(d/'whole'/'model.safetensors'), load_file(d/'low_memory'/'model.safetensors')
            rows[-1]['identical_to_whole'] = sorted(A) == sorted(B) and all(torch.equal(A[k], B[k]) for k in A)
    out = dict(date=datetime.datetime.now().isoformat(timespec='seconds'), hardware=f"{platform.machine()}, {os.cpu_count()} CPUs",
               software=f"torch {torch.__version__}", command='python ' + ' '.join(sys.argv),
               models=models, rows=rows)
    print(json.dumps(out, indent=1))
    if a.out: Path(a.out).write_text(json.dumps(out, indent=1))

if __name__ == '__main__': main()
