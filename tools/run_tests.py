"""GLQ's one test command: every notebook in nbs/ through nbdev's own runner, then pytest over tests/.

Usage: python tools/run_tests.py [--flags "slow gpu"] [--workers N] [notebook-glob]
Prints one line per notebook, pytest's report, and last the line `N passed, N failed`.
Cells flagged `#| slow` or `#| gpu` are skipped unless named in --flags (see tst_flags in pyproject.toml)."""
import argparse, os, sys, time
from pathlib import Path

def _run_nbs(root, pattern, flags, workers):
    from fastcore.parallel import parallel
    from fastcore.xtras import working_directory
    from nbdev.config import get_config
    from nbdev.test import test_nb
    cfg = get_config(root)
    skip = cfg.tst_flags.split() if isinstance(cfg.tst_flags, str) else list(cfg.tst_flags)
    files = sorted(p.absolute() for p in (root/'nbs').glob(pattern) if not p.name.startswith(('_', '.')))
    with working_directory(root/'nbs'):
        res = parallel(test_nb, files, skip_flags=skip, force_flags=flags, n_workers=workers,
                       basepath=cfg.config_path, pause=0.01, do_print=False, verbose=False, save=False,
                       cell_timeout=cfg.cell_timeout or None, cell_timing_min=None)
    out = []
    for f, (ok, t) in zip(files, res):
        print(f"{'PASS' if ok else 'FAIL'}  nbs/{f.name}  ({t:.0f}s)", flush=True)
        out.append(ok)
    return out

class _Count:
    def __init__(self): self.passed = self.failed = 0
    def pytest_runtest_logreport(self, report):
        if report.when == 'call' or (report.when == 'setup' and report.outcome != 'passed'):
            if report.passed: self.passed += 1
            elif report.failed: self.failed += 1

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('pattern', nargs='?', default='*.ipynb')
    ap.add_argument('--flags', default='', help='space separated test flags to run anyway, e.g. "slow"')
    ap.add_argument('--workers', type=int, default=2)
    ap.add_argument('--no-pytest', action='store_true')
    a = ap.parse_args()
    root = Path(__file__).resolve().parent.parent
    t0 = time.time()
    nb = _run_nbs(root, a.pattern, a.flags.split(), a.workers)
    passed, failed = sum(nb), len(nb) - sum(nb)
    if not a.no_pytest and (root/'tests').exists() and any((root/'tests').glob('test_*.py')):
        import pytest
        c = _Count()
        pytest.main(['-q', '-p', 'no:cacheprovider', str(root/'tests')], plugins=[c])
        passed += c.passed; failed += c.failed
    print(f"\ntotal time {time.time()-t0:.0f}s")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed or passed == 0 else 0)

if __name__ == '__main__': main()
