#!/usr/bin/env bash
# WiSE-FT on LiRA's default at the study's larger budget (docs/GENERALIZATION.md, "Mixing with the
# start"): mixes the 1,000-step default of `lira eval generalization` with its start, alpha chosen on
# the run's dev score (`lira interpolate`, about 6 min on 2 idle CPU cores), and writes the choice and
# its dev curve to reports/generalization/interpolation.json. Needs the study's trained model
# (runs/generalization/runs/<fingerprint>/...; `lira eval generalization` trains what it lacks).
set -euo pipefail
fingerprint=$(python -c 'import json; print(json.load(open("reports/generalization/results.json", encoding="utf-8"))["fingerprint"])')
model="runs/generalization/runs/$fingerprint/default_data_plus_gettext-1000/model"
[ -f "$model/arca.json" ] || lira eval generalization
out=runs/generalization/default-1000-wise
[ -f "$out/arca.json" ] || lira interpolate "$model" "$out"
python -c 'import json, sys; print(json.dumps(json.load(open(sys.argv[1] + "/arca.json", encoding="utf-8"))["card"]["interpolation"], indent=2))' \
    "$out" > reports/generalization/interpolation.json
