#!/usr/bin/env bash
# Grid-DoorKey-8x8-v0 (our fixed map), preference feedback at lambda 0.5 (the doorkey-preference
# lesson as it was on the fixed map, results/doorkey-preference/lesson.json: a learned potential
# h <= 0, 75-step segments, 200 labels at the first update then 50 per update, a loss that
# assumes 10% of labels flipped), seeds 1 to 3, 100k steps, one run per labeler mistake
# rate and seed; prints one JSON summary line per run.
set -euo pipefail
for m in 0 0.1 0.2 0.3 0.4; do
  for seed in 1 2 3; do
    rlaif train --env Grid-DoorKey-8x8-v0 --preset results/doorkey-preference/lesson.json \
      --steps 100000 --seed "$seed" --labeler-mistake "$m" --json
  done
done
