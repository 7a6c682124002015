"""Run one notebook cell against the exported module of that notebook (its globals, private names included), without the
cells before it: for a single GPU check on a machine with little time. The cell is the first whose source contains MARKER.

Usage: python tools/run_cell.py nbs/12_inference_kernel.ipynb glq.inference_kernel MARKER"""
import importlib, json, sys, time, traceback
nb, mod, marker = sys.argv[1:4]
src = next(''.join(c['source']) for c in json.load(open(nb))['cells'] if c['cell_type'] == 'code' and marker in ''.join(c['source']))
ns = vars(importlib.import_module(mod)); t = time.time()      # the module itself: what the cell sets, its functions see
try: exec(compile(src, f'<{nb} {marker}>', 'exec'), ns); print(f'ok ({time.time() - t:.1f}s)')
except Exception: traceback.print_exc(); print('FAIL'); sys.exit(1)
