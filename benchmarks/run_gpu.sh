#!/usr/bin/env bash
# Throughput benchmark on one GPU, as run for benchmarks/RESULTS.md.
# MODEL: a sentence-transformers folder (default: the offline e5-small conversion); RANDOM=1 builds
# random weights with that folder's architecture and tokenizer (for machines without the weights).
# TEACHER: the trainer way's frozen teacher (default: the offline MiniLM conversion).
# OUT: where JSON and logs go.
set -uo pipefail
MODEL=${MODEL:-offline:multilingual-e5-small}
TEACHER=${TEACHER:-offline:all-minilm-l6-v2}
OUT=${OUT:-benchmarks/results}
EXTRA=()
[ "${RANDOM_INIT:-0}" = 1 ] && EXTRA+=(--random-init)
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1
mkdir -p "$OUT"
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv || true
python3 -c "import torch, transformers, sentence_transformers as st; print('torch', torch.__version__, 'transformers', transformers.__version__, 'sentence-transformers', st.__version__)"
for B in 128 32; do
  python3 benchmarks/bench_throughput.py --model "$MODEL" --teacher "$TEACHER" "${EXTRA[@]}" --device cuda --batch-size $B \
    --n-sentences 16384 --steps 60 --warmup-steps 5 --repeats 2 --max-seq-length 128 \
    --json-out "$OUT/throughput_gpu_b$B.json" 2>&1 | grep -v "Loading weights\|Writing model" | tee "$OUT/throughput_gpu_b$B.log"
done
