"""Plot benchmarks/results/kernels_h200.json: GLQ layer speed relative to bf16 cuBLAS, per shape, batch and rate.
Usage: python benchmarks/plot_kernels.py [results.json] [out.png]"""
import json, sys
import matplotlib; matplotlib.use('Agg')
import matplotlib.pyplot as plt

def main(src='benchmarks/results/kernels_h200.json', dst='benchmarks/results/kernels_h200.png'):
    r = json.load(open(src)); rows = r['rows']
    shapes = sorted({(x['out'], x['in']) for x in rows}, key=lambda s: (s[1], s[0]))
    fig, axs = plt.subplots(1, len(shapes), figsize=(4.2 * len(shapes), 3.6), sharey=True)
    for ax, (m, n) in zip(axs, shapes):
        for bpw, c in ((2, 'C0'), (3, 'C1'), (4, 'C2')):
            pts = sorted((x['batch'], x['bf16_us'] / x['glq_us']) for x in rows if (x['out'], x['in'], x['bpw']) == (m, n, bpw))
            if pts: ax.plot(*zip(*pts), 'o-', color=c, label=f'{bpw} bpw')
        ax.axhline(1, color='k', lw=0.8, ls='--')
        ax.set_xscale('log', base=2); ax.set_title(f'{m}×{n} (out×in)'); ax.set_xlabel('batch')
    axs[0].set_ylabel('speed vs bf16 cuBLAS (×)'); axs[0].legend()
    fig.suptitle(f"GLQ layer (RHT in + decode-matmul + RHT out) vs bf16 nn.Linear, {r['hardware']['gpu']}, {r['date']}")
    fig.tight_layout(); fig.savefig(dst, dpi=110)
    print('wrote', dst)

if __name__ == '__main__': main(*sys.argv[1:])
