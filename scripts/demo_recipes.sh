#!/usr/bin/env bash
# What do the demo recipe's data and the frozen layers' dropout do to product search?
# (docs/PRODUCTS.md, "What the default recipe does to product search".)
#
# Trains `lira demo`'s recipe four ways (Firefox pairs alone or with the other catalogs; dropout on or
# off in the frozen lower layers: `model.frozen_dropout`), about 7.6 min each on 2 CPU cores (a run
# whose folder holds a finished model is resumed, i.e. skipped), then scores them on the product
# benchmark's native and cross-lingual settings, test split and (for the hybrid weights, whose curve
# at weight 1 is the dense model alone) dev split, into reports/products/recipes.
#
#   bash scripts/demo_recipes.sh [PRODUCT_DATA_DIR]     # default: runs/products (`lira data products build --out runs/products`)
set -euo pipefail
data="${1:-runs/products}"
[ -d "$data" ] || lira data products build --out "$data"

lira demo --set data.train_catalogs=false --set model.frozen_dropout=true --out runs/demo-dropout   # the demo before 7 Dec 2026
lira demo --set data.train_catalogs=false --out runs/demo-firefox-only
lira demo --out runs/demo                                                                         # today's default
lira demo --set model.frozen_dropout=true --out runs/demo-catalogs-dropout

lira eval products-report --data "$data" --intents 300 --corpus-size 800 --setting native --setting lrl2en --noise 0 \
    --out reports/products/recipes \
    --model "demo recipe before 7 Dec (Firefox pairs, frozen-layer dropout on)=runs/demo-dropout/model" \
    --model "demo recipe, Firefox pairs, frozen layers without dropout=runs/demo-firefox-only/model" \
    --model "demo recipe today (Firefox + catalogs, frozen layers without dropout)=runs/demo/model" \
    --model "demo recipe, Firefox + catalogs, frozen-layer dropout on=runs/demo-catalogs-dropout/model"
