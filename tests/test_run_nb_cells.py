"tools/run_nb_cells.py, the notebook runner for machines without Jupyter: flags, shared namespace, failures, exit code."
import json, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

def _nb(path, cells):
    path.write_text(json.dumps(dict(nbformat=4, nbformat_minor=5, metadata={},
                                    cells=[dict(cell_type='code', metadata={}, outputs=[], execution_count=None, source=s) for s in cells])))

def _run(nb, *flags):
    return subprocess.run([sys.executable, str(ROOT/'tools'/'run_nb_cells.py'), str(nb), *flags], capture_output=True, text=True)

def test_flags_and_namespace(tmp_path):
    nb = tmp_path/'a.ipynb'
    _nb(nb, ['x = 2', '#| gpu\nx = x * 10', 'import inspect\ndef f(): return 1\nassert inspect.getsource(f).startswith("def f")', 'assert x in (2, 20)'])
    r = _run(nb); assert r.returncode == 0 and r.stdout.strip().endswith('3 passed, 0 failed'), r.stdout
    r = _run(nb, '--flags', 'gpu'); assert r.returncode == 0 and r.stdout.strip().endswith('4 passed, 0 failed'), r.stdout

def test_failure_is_reported(tmp_path):
    nb = tmp_path/'b.ipynb'
    _nb(nb, ['assert False, "boom"', 'y = 1'])
    r = _run(nb); assert r.returncode == 1 and 'boom' in r.stdout and r.stdout.strip().endswith('1 passed, 1 failed'), r.stdout
