"""Run a notebook's code cells in order, in one namespace, without Jupyter or nbdev: for machines that have neither (the
GPU machine). Cells flagged with a test flag (`#| gpu`, `#| slow`; tst_flags in pyproject.toml) run only when named in
--flags, as with `tools/run_tests.py`. Prints one line per cell run and ends with `N passed, N failed` (cells).

--only A,B: of the flagged cells, run only those whose source contains one of these strings (the unflagged cells all run:
they set up the namespace).

Usage: python tools/run_nb_cells.py nbs/12_inference_kernel.ipynb [--flags gpu] [--only MARKER,...]"""
import argparse, json, re, sys, time, traceback, os, linecache
from pathlib import Path

def main():
    ap = argparse.ArgumentParser(); ap.add_argument('notebook'); ap.add_argument('--flags', default=''); ap.add_argument('--only', default='')
    a = ap.parse_args()
    nb = Path(a.notebook).resolve(); run_flags = set(a.flags.split())
    all_flags = {'gpu', 'slow'}
    cfg = (Path(__file__).resolve().parents[1]/'pyproject.toml')
    m = re.search(r'tst_flags\s*=\s*"([^"]*)"', cfg.read_text()) if cfg.exists() else None
    if m: all_flags |= set(m.group(1).split())
    os.chdir(nb.parent); sys.path.insert(0, str(nb.parents[1]))
    ns = {'__name__': '__main__'}; passed = failed = 0
    for i, c in enumerate(json.loads(nb.read_text())['cells']):
        if c['cell_type'] != 'code': continue
        src = ''.join(c['source'])
        flags = {f for l in src.splitlines() if l.startswith('#|') for f in l[2:].split() if f in all_flags}
        if flags - run_flags: continue
        if flags and a.only and not any(k in src for k in a.only.split(',')): continue
        t = time.time()
        try:
            fn = f'<{nb.name} cell {i}>'
            linecache.cache[fn] = (len(src), None, src.splitlines(True), fn)    # so inspect (and triton.jit) can read the source
            exec(compile(src, fn, 'exec'), ns); passed += 1
            print(f'ok    cell {i} {sorted(flags) or ""} ({time.time() - t:.1f}s)', flush=True)
        except Exception:
            failed += 1; print(f'FAIL  cell {i} {sorted(flags)}\n{traceback.format_exc()}', flush=True)
    print(f'{passed} passed, {failed} failed')
    sys.exit(1 if failed else 0)

if __name__ == '__main__': main()
