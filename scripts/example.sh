#!/usr/bin/env bash
# The main example: installs what is missing, builds Shoal (release), checks this machine with `shoal doctor`,
# makes 1,000,000 click rows with `shoal datagen`,
# then runs the ETL example cluster/jobs/clicks-etl.yaml on an embedded local cluster — a coordinator and two
# worker processes on this machine — and shows what it committed; then the ETL-then-train pipeline
# (cluster/jobs/clicks-pipeline.yaml) on the same data. `shoal run` tears each cluster down itself.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
shoal_setup

echo "==> building shoal (release)"
swift build -c release --product shoal
shoal="$(swift build -c release --show-bin-path)/shoal"

echo "==> shoal doctor"
"$shoal" doctor

echo "==> shoal datagen clicks (1,000,000 rows, 0.1% malformed) into data/clicks-0.csv"
mkdir -p data
[ -f data/clicks-0.csv ] || "$shoal" datagen clicks --rows 1000000 --seed 7 --bad-rate 0.001 --out data/clicks-0.csv

echo "==> shoal run cluster/jobs/clicks-etl.yaml --workers 2 --overwrite"
# --overwrite replaces the outputs of an earlier run of this example instead of refusing to mix with them.
"$shoal" run cluster/jobs/clicks-etl.yaml --workers 2 --overwrite

echo "==> the ETL example: rows in out/clicks-filtered/shard-*/part-*.csv (manifest: out/clicks-filtered/_manifest.json),"
echo "    bad rows in out/clicks-filtered/_quarantine.jsonl, and the per-country aggregate:"
cat out/by-country.csv

echo "==> shoal run cluster/jobs/clicks-pipeline.yaml --workers 2 --overwrite (ETL into features, then training)"
[ -f data/ctr/test.csv ] || "$shoal" datagen clicks --rows 100000 --seed 12 --out data/ctr/test.csv
"$shoal" run cluster/jobs/clicks-pipeline.yaml --workers 2 --overwrite
echo "==> done: the model in out/ctr-model-features/model.shoal, its metrics in metrics.csv and validation.csv;"
echo "    apply it with: $shoal predict out/ctr-model-features/model.shoal data/ctr/test.csv --out predictions.csv"

