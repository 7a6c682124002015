"""Run a notebook's code cells in order, in one namespace, without Jupyter or nbdev: for machines that have neither (the
GPU machine). Cells flagged with a test flag (`#| gpu`, `#| slow`; tst_flags in pyproject.toml) run only when named in
--flags, as with `tools/run_tests.py`. Prints one line per cell run and ends with `N passed, N failed` (cells).

--only A,B: of the flagged cells, run only those whose source contains one of these strings (the unflagged cells all run:
they set up the namespace).
--lean: of the unflagged cells that export nothing (the CPU tests), run only the top-level imports, definitions and
assignments of new names that call no test (`test_*`, `assert`): the names later cells use, without the tests' run time (--full ID,...:
these cells whole anyway).

Usage: python tools/run_nb_cells.py nbs/12_inference_kernel.ipynb [--flags gpu] [--only MARKER,...] [--lean [--full ID,...]]"""
import argparse, ast, json, re, sys, time, traceback, os, linecache
from pathlib import Path

def main():
    ap = argparse.ArgumentParser(); ap.add_argument('notebook'); ap.add_argument('--flags', default=''); ap.add_argument('--only', default='')
    ap.add_argument('--lean', action='store_true'); ap.add_argument('--full', default='', help='--lean: cell ids to run whole anyway')
    a = ap.parse_args()
    nb = Path(a.notebook).resolve(); run_flags = set(a.flags.split())
    all_flags = {'gpu', 'slow'}
    cfg = (Path(__file__).resolve().parents[1]/'pyproject.toml')
    m = re.search(r'tst_flags\s*=\s*"([^"]*)"', cfg.read_text()) if cfg.exists() else None
    if m: all_flags |= set(m.group(1).split())
    os.chdir(nb.parent); sys.path.insert(0, str(nb.parents[1]))
    ns = {'__name__': '__main__'}; passed = failed = 0; settings = set()
    for i, c in enumerate(json.loads(nb.read_text())['cells']):
        if c['cell_type'] != 'code': continue
        src = ''.join(c['source'])
        flags = {f for l in src.splitlines() if l.startswith('#|') for f in l[2:].split() if f in all_flags}
        if flags - run_flags: continue
        if flags and a.only and not any(k in src for k in a.only.split(',')): continue
        export = re.search(r'^#\|\s*export', src, re.M)
        if a.lean and not flags and c.get('id') not in a.full.split(',') and not export:
            t, fn = time.time(), f'<{nb.name} cell {i}, setup>'
            for n in _setup_only(src, settings):         # each on its own: one that needs a skipped test's names is skipped too
                s1 = ast.unparse(n); linecache.cache[fn] = (len(s1), None, s1.splitlines(True), fn)
                try: exec(compile(s1, fn, 'exec'), ns)
                except Exception: pass
            print(f'setup cell {i} ({time.time() - t:.1f}s)', flush=True); continue
        before = set(ns)
        t = time.time()
        try:
            fn = f'<{nb.name} cell {i}>'
            linecache.cache[fn] = (len(src), None, src.splitlines(True), fn)    # so inspect (and triton.jit) can read the source
            exec(compile(src, fn, 'exec'), ns); passed += 1
            if export: settings |= set(ns) - before
            print(f'ok    cell {i} {sorted(flags) or ""} ({time.time() - t:.1f}s)', flush=True)
        except Exception:
            failed += 1; print(f'FAIL  cell {i} {sorted(flags)}\n{traceback.format_exc()}', flush=True)
    print(f'{passed} passed, {failed} failed')
    sys.exit(1 if failed else 0)

def _tests_in(node) -> bool:
    return any(isinstance(n, ast.Assert) or (isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id.startswith('test_'))
               for n in ast.walk(node))

def _binds_plain(n, settings) -> bool:
    "An assignment that binds plain names, none of them a setting an exported cell defined (tests change those, then put them back)."
    ts = n.targets if isinstance(n, ast.Assign) else [n.target]
    names = [e for t in ts for e in ast.walk(t) if not isinstance(e, (ast.Tuple, ast.List, ast.Store, ast.Starred))]
    return all(isinstance(e, ast.Name) and e.id not in settings for e in names)

def _setup_only(src:str, settings:set) -> list:
    "The top-level imports, defs and test-free assignments of a test cell (--lean), as AST statements to run one by one."
    tree = ast.parse(src)
    keep = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef))
            or (isinstance(n, (ast.Assign, ast.AnnAssign)) and not _tests_in(n) and _binds_plain(n, settings))]
    return keep

if __name__ == '__main__': main()
