"""How far can post-training quantization of SmolLM2-135M-Instruct's linears go at a given rate? The second-order loss model of
glq.mixed_precision (NLL rise = 1/2 * G * delta(b) * sigma^2 * tr(D) per linear) evaluated for GLQ's quantizer and for an ideal one.

delta(b) is GLQ's measured distortion on Gaussian data (rate_distortion) or Shannon's rate-distortion bound for a Gaussian
source, 2^(-2b): no quantizer of b bits per weight, lattice, trellis or scalar, has a lower mean squared error on Gaussian data,
and RHT-rotated weights are close to Gaussian. For each, the predicted NLL rise of uniform rates and of the best integer
allocation over 2..8 bpw (the same knapsack as --bpw B --mixed; at 2 bpw it is the uniform rate) is written to benchmarks/results/rate_bound_smollm2.json.

    python benchmarks/rate_bound_smollm2.py [--samples 4]

The model's Hessians here come from the full-precision model (no quantized layers upstream), as in the mixed-precision plan.
"""
import argparse, datetime, json, math, os, platform, sys, time
from pathlib import Path
import torch
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from glq.quantize_model import load_model, smollm2_gguf, decoder_layers, layer_linears, layer_seed
from glq.data import calibration_samples
from glq.mixed_precision import linear_sensitivity, rate_distortion, predicted_loss, allocate_bits

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--samples', type=int, default=4, help='2048-token C4 samples of the sensitivity pass (default 4)')
    ap.add_argument('--dtype', default='bfloat16', help='dtype of the sensitivity pass (as glq-quantize --dtype bfloat16)')
    ap.add_argument('--out', default=str(ROOT/'benchmarks'/'results'/'rate_bound_smollm2.json'))
    a = ap.parse_args()
    t0 = time.perf_counter()
    model, tok = load_model(str(smollm2_gguf()), dtype=getattr(torch, a.dtype))
    tokens = calibration_samples(tok, str(ROOT.parent/'shared'/'data'/'c4'/'c4_validation_2k.jsonl'), a.samples, 2048, 0)
    pre, dls = decoder_layers(model)
    names = [f"{pre}.{i}.{n}" for i in range(len(dls)) for n in layer_linears(dls[i])]
    stats = linear_sensitivity(model, tokens, names, {n: layer_seed(0, n) for n in names})
    sizes = {n: s['shape'][0] * s['shape'][1] for n, s in stats.items()}
    rds = {'glq': rate_distortion(), 'shannon': {b: 2.0 ** (-2 * b) for b in range(1, 9)}}
    rows = []
    for q, rd in rds.items():
        costs = predicted_loss(stats, rd)
        for b in (2, 3, 4):
            plan = allocate_bits(costs, sizes, b, rates=range(2, 9))     # as glq-quantize plans targets >= 2 (no 1-bpw layers)
            uni, mix = sum(c[b] for c in costs.values()), sum(costs[n][r] for n, r in plan.items())
            rows.append(dict(quantizer=q, bpw=b, uniform_dnll=round(uni, 5), mixed_dnll=round(mix, 5),
                             uniform_ppl_ratio=round(math.exp(uni), 4), mixed_ppl_ratio=round(math.exp(mix), 4)))
            print(f"{q:8s} {b} bpw: uniform +{100*(math.exp(uni)-1):.1f}%  best mix +{100*(math.exp(mix)-1):.1f}%", flush=True)
    out = dict(rows=rows, distortion={q: {str(k): v for k, v in rd.items()} for q, rd in rds.items()},
               setting=f"SmolLM2-135M-Instruct (GGUF Q4_1), {a.samples} x 2048 C4 tokens, {a.dtype}, full-precision Hessians",
               command=' '.join(['python'] + sys.argv), date=datetime.date.today().isoformat(),
               hardware=f"{platform.machine()}, {os.cpu_count()} CPU cores, no GPU", seconds=round(time.perf_counter() - t0, 1))
    Path(a.out).write_text(json.dumps(out, indent=1))

if __name__ == '__main__': main()
