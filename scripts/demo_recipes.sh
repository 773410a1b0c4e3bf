#!/usr/bin/env bash
# What do the demo recipe's data and the frozen layers' dropout do to product search?
# (docs/PRODUCTS.md, the bullet "What the default recipe's data and dropout do to product search".)
#
# Trains `lira demo`'s recipe four ways (Firefox pairs alone or with the other catalogs; dropout on or
# off in the frozen lower layers: `model.frozen_dropout`), about 7.6 min each on 2 CPU cores, each from
# scratch (--no-resume: a folder left by another run, e.g. `lira demo --quick`, is not continued), then
# scores them on the product
# benchmark's native and cross-lingual settings, test split and (for the hybrid weights, whose curve
# at weight 1 is the dense model alone) dev split, into reports/products/recipes.
#
#   bash scripts/demo_recipes.sh [PRODUCT_DATA_DIR]     # default: runs/products (`lira data products build --out runs/products`)
# The committed report's first row is the demo model trained before 7 Dec 2026 (by the code of that
# time, whose recipe the first command's flags restate; retraining the product configs, which pin the
# same flags, reproduced their committed scores to the digit).
set -euo pipefail
data="${1:-runs/products}"
[ -d "$data" ] || lira data products build --out "$data"

lira demo --no-resume --set data.train_catalogs=false --set model.frozen_dropout=true --out runs/demo-dropout   # the demo before 7 Dec 2026
lira demo --no-resume --set data.train_catalogs=false --out runs/demo-firefox-only
lira demo --no-resume --out runs/demo                                                                       # today's default
lira demo --no-resume --set model.frozen_dropout=true --out runs/demo-catalogs-dropout

lira eval products-report --data "$data" --intents 300 --corpus-size 800 --setting native --setting lrl2en --noise 0 \
    --out reports/products/recipes \
    --model "demo recipe before 7 Dec (Firefox pairs, frozen-layer dropout on)=runs/demo-dropout/model" \
    --model "demo recipe, Firefox pairs, frozen layers without dropout=runs/demo-firefox-only/model" \
    --model "demo recipe today (Firefox + catalogs, frozen layers without dropout)=runs/demo/model" \
    --model "demo recipe, Firefox + catalogs, frozen-layer dropout on=runs/demo-catalogs-dropout/model"
