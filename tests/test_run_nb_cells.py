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

def test_lean(tmp_path):
    "--lean: test cells give their imports, definitions and new names, not their tests nor their changes to exported settings"
    nb = tmp_path/'c.ipynb'
    _nb(nb, ['#| export\nSETTING = 1', 'import math\nSETTING = 0\nEP = 3\ndef h(): return 5\nassert False, "a test"\nfor i in range(2): pass',
             'SETTING = 2\nz = undefined_name + 1\nw = 4', '#| gpu\nassert (SETTING, EP, h(), w, math.pi > 3) == (1, 3, 5, 4, True)'])
    r = _run(nb, '--flags', 'gpu', '--lean'); assert r.returncode == 0 and r.stdout.strip().endswith('2 passed, 0 failed'), r.stdout
    cells = json.loads(nb.read_text())['cells']
    for i, c in enumerate(cells): c['id'] = f'c{i}'
    nb.write_text(json.dumps(dict(nbformat=4, nbformat_minor=5, metadata={}, cells=cells)))
    r = _run(nb, '--flags', 'gpu', '--lean', '--full', 'c1'); assert r.returncode == 1 and 'a test' in r.stdout, r.stdout   # that cell whole
