#!/usr/bin/env bash
# The report job: `kos report` over the results.json of every shard that uploaded
# one (and shard 1's vitest.json), naming each shard that did not, so a shard that
# died early shows as one clear line instead of a glob that stays literal.
# usage: report-shards.sh DIR N   (DIR/reports-shard-I/ as download-artifact lays them out)
set -euo pipefail
dir=$1
count=$2
args=()
missing=0
for i in $(seq 1 "$count"); do
  f="$dir/reports-shard-$i/results.json"
  if [ -f "$f" ]; then
    args+=(--results "$f")
  else
    echo "shard $i of $count: no results.json (the shard failed before kos test wrote it); its cases are reported as not run"
    missing=$((missing + 1))
  fi
done
vitest="$dir/reports-shard-1/vitest.json"
if [ -f "$vitest" ]; then
  args+=(--vitest "$vitest")
else
  echo "shard 1: no vitest.json; the report has no unit or integration test results"
fi
if [ "${#args[@]}" -eq 0 ]; then
  echo "no shard reported anything: no progress report"
  exit 1
fi
node bin/run.js report "${args[@]}"
# The check job that lost a shard is already red; the report still shows what ran.
if [ "$missing" -gt 0 ]; then echo "::warning::$missing of $count shards uploaded no results: the report covers the others"; fi
