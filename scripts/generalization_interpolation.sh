#!/usr/bin/env bash
# WiSE-FT on LiRA's default at the study's larger budget (docs/GENERALIZATION.md, "Mixing with the
# start"): mixes the 1,000-step default of `lira eval generalization` with its start, alpha chosen on
# the run's dev score (`lira interpolate`, about 9 min on 2 idle CPU cores), and writes the choice and
# its dev curve to reports/generalization/interpolation.json. Needs the study's trained model
# (runs/generalization/runs/<fingerprint>/...; `lira eval generalization` trains what it lacks).
set -euo pipefail
fingerprint=$(python -c 'import json; print(json.load(open("reports/generalization/results.json", encoding="utf-8"))["fingerprint"])')
model="runs/generalization/runs/$fingerprint/default_data_plus_gettext-1000/model"
if [ ! -f "$model/arca.json" ]; then
    # The study restores its committed scores instead of retraining them; the model itself is only
    # on the machine that trained it. Retrain that one run into the same folder:
    lira train --config <(python -c 'import json, yaml; from lira.eval.generalization import GeneralizationConfig, run_config
study = GeneralizationConfig.from_yaml("configs/generalization.yaml")
print(yaml.safe_dump(run_config(study, "default_data_plus_gettext", study.large_budget_steps).to_dict()))')
fi
out=runs/generalization/default-1000-wise
[ -f "$out/arca.json" ] || lira interpolate "$model" "$out"
python -c 'import json, sys; print(json.dumps(json.load(open(sys.argv[1] + "/arca.json", encoding="utf-8"))["card"]["interpolation"], indent=2))' \
    "$out" > reports/generalization/interpolation.json
