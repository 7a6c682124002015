"""Quality of GLQ on SmolLM2-135M-Instruct: WikiText-2 perplexity, stored bits, checkpoint size, time and memory.

Runs the real command-line tools in subprocesses (so wall time and peak RSS are those of `glq-quantize` itself) and
writes benchmarks/results/quality_smollm2_135m.json. Each configuration is one row; rows already present in the JSON
are kept (so a long run can be resumed) unless --redo is given.

    python benchmarks/quality_smollm2.py --nsamples 128 --seqlen 2048            # the full specification
    python benchmarks/quality_smollm2.py --nsamples 32 --limit 40                 # the reduced run committed so far

Note: the model's weights come from a GGUF Q4_1 file (transformers dequantizes it), so they already lie on a 4-bit grid.
"""
import argparse, datetime, json, os, platform, re, shutil, subprocess, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / 'shared' / 'data'
OUT = ROOT / 'benchmarks' / 'results' / 'quality_smollm2_135m.json'

def run(cmd, log):
    "Run `cmd`, keep its output in `log`, return (wall seconds, output text)."
    t0 = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    wall = time.perf_counter() - t0
    Path(log).write_text(p.stdout)
    if p.returncode: raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}); see {log}")
    return wall, p.stdout

def ppl_of(out): return float(re.findall(r'wikitext2 ppl: ([0-9.]+)', out)[-1])

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--nsamples', type=int, default=128); ap.add_argument('--seqlen', type=int, default=2048)
    ap.add_argument('--limit', type=int, default=None, help='WikiText-2 windows (default: all)')
    ap.add_argument('--configs', default='fp,glq2,rtn2,glq4,glq3,rtn4,rtn3',
                    help='comma separated: fp, glqB (uniform B bpw), rtnB (round to nearest), mixB (mixed precision averaging B, e.g. mix3.5)')
    ap.add_argument('--workdir', default='/tmp/glq_quality'); ap.add_argument('--redo', action='store_true')
    ap.add_argument('--out', default=str(OUT), help='result JSON (rows already there are kept)')
    ap.add_argument('--note', default=None, help='a note stored with the results (e.g. what else ran on the machine)')
    ap.add_argument('--dtype', default='auto', help='glq-quantize --dtype (bfloat16: faster forward passes on CPUs with bf16 units, half-size embeddings)')
    ap.add_argument('--eval-dtype', default='auto', help='glq-eval --dtype (float32 compares with the float32 reference)')
    a = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    from glq.quantize_model import smollm2_gguf
    model = str(smollm2_gguf()); calib = str(DATA / 'c4' / 'c4_validation_2k.jsonl')
    work = Path(a.workdir); work.mkdir(parents=True, exist_ok=True)
    out_path = Path(a.out)
    res = json.loads(out_path.read_text()) if out_path.exists() else {}
    setting = dict(model='SmolLM2-135M-Instruct (GGUF Q4_1, dequantized by transformers)', calib=f'C4 validation sample, {a.nsamples} x {a.seqlen} tokens',
                   eval=f"WikiText-2 test (joined), seqlen 2048, {'all' if a.limit is None else a.limit} windows",
                   full_spec=(a.nsamples, a.seqlen, a.limit) == (128, 2048, None),
                   **({} if a.dtype == 'auto' else {'quantize_dtype': a.dtype}), **({} if a.eval_dtype == 'auto' else {'eval_dtype': a.eval_dtype}))
    if res.get('setting') != setting: res = dict(setting=setting, rows={})
    res.update(hardware=f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPU cores, no GPU",
               command=' '.join(['python'] + sys.argv), date=datetime.date.today().isoformat())
    lim = [] if a.limit is None else ['--limit', str(a.limit)]
    for cfg in a.configs.split(','):
        if cfg in res['rows'] and not a.redo: print('have', cfg, res['rows'][cfg]); continue
        row = {}
        if cfg == 'fp':
            _, out = run(['glq-eval', '--fp', model, '--dtype', a.eval_dtype] + lim, work / 'fp_eval.log')
            row.update(ppl=ppl_of(out), bpw_stored=None, checkpoint_mb=round(os.path.getsize(model) / 2**20, 1))
        else:
            kind, rate = re.fullmatch(r'(glq|rtn|mix)([0-9]+(?:\.[0-9]+)?)', cfg).groups()
            bpw = float(rate) if '.' in rate else int(rate); rtn = kind == 'rtn'; d = work / cfg
            mix = (['--mixed'] if isinstance(bpw, int) else []) if kind == 'mix' else []
            if d.exists(): shutil.rmtree(d)
            # RTN ignores the Hessians, so it needs no real calibration; it still runs the pipeline end to end
            ns = ['--nsamples', '1', '--seqlen', '128'] if rtn else ['--nsamples', str(a.nsamples), '--seqlen', str(a.seqlen)]
            wall, qout = run(['glq-quantize', '--model', model, '--output', str(d), '--bpw', str(bpw), '--calib', calib] + ns + mix
                               + (['--rtn'] if rtn else []) + ['--dtype', a.dtype], work / f'{cfg}_quantize.log')
            qc = json.loads((d / 'config.json').read_text())['quantization_config']
            rss = float(re.findall(r'peak RSS ([0-9.]+) GB', qout)[-1])          # printed by glq-quantize itself
            _, out = run(['glq-eval', str(d), '--dtype', a.eval_dtype] + lim, work / f'{cfg}_eval.log')
            size = sum(f.stat().st_size for f in d.glob('*.safetensors'))
            if kind == 'mix':
                al = qc['allocation']
                row.update(bpw_mean=qc['bpw'], predicted_dnll=al['predicted_dnll'], uniform_predicted_dnll=al['uniform_predicted_dnll'],
                           rates_per_kind=al['kinds'])
            row.update(ppl=ppl_of(out), bpw=bpw, method={'rtn': 'RTN (no LDLQ)', 'glq': 'GLQ (LDLQ)', 'mix': 'GLQ mixed precision (LDLQ)'}[kind],
                       bpw_stored=qc.get('stored_bpw'),
                       checkpoint_mb=round(size / 2**20, 1), quantize_seconds=round(wall, 1), quantize_peak_rss_gb=round(rss, 2))
        res['rows'][cfg] = row
        ref = res['rows'].get('fp', {}).get('ppl')
        if ref: row['ppl_vs_fp'] = round(row['ppl'] / ref - 1, 4)
        print(cfg, row, flush=True)
        if a.note: res['note'] = a.note
        out_path.write_text(json.dumps(res, indent=1))
    print(json.dumps(res, indent=1))

if __name__ == '__main__': main()
