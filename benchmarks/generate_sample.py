"""Greedy text from a saved GLQ checkpoint, loaded with plain `from_pretrained`; stores it in the quality results JSON.

    python benchmarks/generate_sample.py /tmp/glq_quality/glq2 glq2 [--tokens 48]
"""
import argparse, json, sys, time
from pathlib import Path
ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / 'benchmarks' / 'results' / 'quality_smollm2_135m.json'
PROMPT = [{"role": "user", "content": "What is the capital of France, and what is it famous for?"}]

def main():
    ap = argparse.ArgumentParser(); ap.add_argument('folder'); ap.add_argument('name'); ap.add_argument('--tokens', type=int, default=48)
    ap.add_argument('--out', default=str(OUT))
    a = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    import torch, glq.hf_integration  # noqa: F401  (registers quant_method "glq")
    from transformers import AutoModelForCausalLM, AutoTokenizer
    tok = AutoTokenizer.from_pretrained(a.folder)
    model = AutoModelForCausalLM.from_pretrained(a.folder).eval()
    ids = tok.apply_chat_template(PROMPT, add_generation_prompt=True, return_tensors='pt', return_dict=True)
    t = time.perf_counter()
    with torch.no_grad(): out = model.generate(**ids, max_new_tokens=a.tokens, do_sample=False)
    text = tok.decode(out[0, ids['input_ids'].shape[1]:], skip_special_tokens=True)
    print(text)
    p = Path(a.out); res = json.loads(p.read_text())
    res.setdefault('samples', {})[a.name] = dict(prompt=PROMPT[0]['content'], greedy_tokens=a.tokens, text=text,
                                                 command=' '.join(['python'] + sys.argv), seconds=round(time.perf_counter() - t, 1))
    p.write_text(json.dumps(res, indent=1))

if __name__ == '__main__': main()
