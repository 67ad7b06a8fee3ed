#!/usr/bin/env bash
# DoorKey-8x8, preference feedback at lambda 0.5 (the doorkey-preference lesson: learned reward
# signed negative), seed 1, 100k steps, one run per labeler mistake rate; prints one JSON
# summary line per run.
set -euo pipefail
for m in 0 0.1 0.2 0.3 0.4; do
  rlaif train --env Grid-DoorKey-8x8-v0 --preset static/presets/lessons/doorkey-preference.json \
    --steps 100000 --seed 1 --labeler-mistake "$m" --json
done
