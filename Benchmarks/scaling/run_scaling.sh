#!/usr/bin/env bash
# Scaling series 10⁵ → 10⁸ interactions (issue 18): load, split, one iALS iteration, the item-neighbour
# build and full-ranking evaluation, with a log–log plot. Writes Benchmarks/scaling/RESULTS.md and
# scaling.svg (or OUT=folder).
#
#   Benchmarks/scaling/run_scaling.sh                      # 10⁵ 10⁶ 10⁷ 10⁸, 2 threads
#   SIZES="100000 1000000 10000000" Benchmarks/scaling/run_scaling.sh
#
# Needs a release build (`swift build -c release`, or RECBENCH=/path/to/recbench) and python3. The
# exported TSV files (2.4 GB at 10⁸) stay in WORK (default /tmp/recbench-scaling) for the next run.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
recbench="${RECBENCH:-$root/.build/release/recbench}"
[[ -x "$recbench" ]] || { echo "no release recbench binary: run 'swift build -c release' or set RECBENCH" >&2; exit 2; }
# shellcheck disable=SC2086
exec python3 "$here/scaling.py" --recbench "$recbench" --threads "${THREADS:-2}" \
  --sizes ${SIZES:-100000 1000000 10000000 100000000} --work "${WORK:-/tmp/recbench-scaling}" --out "${OUT:-$here}"
