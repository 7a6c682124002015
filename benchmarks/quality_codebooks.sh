#!/bin/bash
# E8P (e8p-v1) against the E8 shell codebook (e8shell-v1) on SmolLM2-135M-Instruct, 2 and 4 bpw, in a reduced setting that
# fits a short session on 2 CPU cores: 16 x 2048 C4 calibration tokens, the first 20 WikiText-2 windows (seqlen 2048),
# everything in float32. Writes one line per run to results.txt in the working folder (default /tmp/glq_codebooks), and
# the full-precision reference of the same 20 windows.
# Usage: bash benchmarks/quality_codebooks.sh [WORKDIR]
set -e
W=${1:-/tmp/glq_codebooks}; mkdir -p $W; cd $W
DATA=$(python -c "import glq, pathlib; print(pathlib.Path(glq.__file__).parents[2]/'shared'/'data')")
C4=$DATA/c4/c4_validation_2k.jsonl
G=$(python -c "from glq.quantize_model import smollm2_gguf; print(smollm2_gguf())")
glq-eval $G --fp --limit 20 --dtype float32 > fp.elog 2>&1; echo "fp $(tail -1 fp.elog)" >> results.txt
for cb in e8p-v1 e8shell-v1; do for b in 2 4; do
  d=q_${cb}_${b}
  /usr/bin/time -v glq-quantize --model $G --output $d --bpw $b --codebook $cb --calib $C4 --nsamples 16 --seqlen 2048 --dtype float32 --overwrite > $d.qlog 2>&1
  glq-eval $d --limit 20 --dtype float32 > $d.elog 2>&1
  echo "$cb $b $(tail -1 $d.elog) $(grep 'Elapsed' $d.qlog)" >> results.txt
done; done
