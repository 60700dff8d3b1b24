#!/usr/bin/env bash
# Peer comparison: implicit (and LensKit, when it installs) against Recbench on the same exported
# data file, same factors / iterations / threads. Prints a table of times and ratios.
#
#   Benchmarks/peers/run_peers.sh                 # ML-100K and a 10⁶-interaction synthetic set
#   DATASETS="synthetic" THREADS="1 2" REPEAT=3 Benchmarks/peers/run_peers.sh
#   DATASETS="scale-20m" HOLDOUT=0.2 REPEAT=1 Benchmarks/peers/run_peers.sh   # issue 18's 2·10⁷ comparison
#   MODELS="ImplicitALS,BPR" DATASETS="scale-20m" HOLDOUT=0.2 REPEAT=1 Benchmarks/peers/run_peers.sh   # one model only
#
# HOLDOUT=F splits each file per user and adds both sides' NDCG@10 on the held-out part (peers.py).
# Needs: a release build (`swift build -c release`, or RECBENCH=/path/to/recbench), python3 with
# venv, PyPI access the first time. The virtual environment lives in /tmp/recbench-peers-venv.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${PEERS_VENV:-/tmp/recbench-peers-venv}"
work="${PEERS_WORK:-/tmp/recbench-peers}"
recbench="${RECBENCH:-}"
if [[ -z "$recbench" ]]; then
  for c in "$root/.build/release/recbench" "$root"/.build-*/release/recbench; do
    [[ -x "$c" ]] && { recbench="$c"; break; }
  done
fi
[[ -x "$recbench" ]] || { echo "no release recbench binary: run 'swift build -c release' or set RECBENCH" >&2; exit 2; }

if [[ ! -x "$venv/bin/python" ]]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -c "import implicit, pandas" 2>/dev/null || "$venv/bin/pip" install -q "implicit==0.7.3" pandas
# LENSKIT=no skips LensKit (its install pulls in PyTorch).
if [[ "${LENSKIT:-yes}" != no ]] && ! "$venv/bin/python" -c "import lenskit" 2>/dev/null; then
  "$venv/bin/pip" install -q lenskit || echo "note: LensKit did not install; its rows are skipped" >&2
fi

mkdir -p "$work"
ml100k="${RECBENCH_ML100K:-$root/../shared/datasets/ml-100k}"
for d in ${DATASETS:-ml-100k synthetic}; do
  out="$work/$d.tsv"
  [[ -s "$out" ]] && continue
  case "$d" in
    ml-100k) "$recbench" datasets export ml-100k --path "$ml100k" --registry "$root/datasets" --output "$out" ;;
    synthetic) "$recbench" datasets export synthetic --users 50000 --items 20000 --interactions 1000000 --seed 42 --output "$out" ;;
    # experiments/scale-20m.json's generator settings (ML-20M's shape, planted taste groups)
    scale-20m) "$recbench" datasets export synthetic --users 138493 --items 26744 --interactions 20000000 \
      --factors 16 --seed 20 --taste-groups 64 --in-group-share 0.7 --output "$out" ;;
    *) echo "unknown data set $d (ml-100k, synthetic or scale-20m)" >&2; exit 2 ;;
  esac
done

# OpenBLAS inside the Python process: one thread (implicit's own advice); the thread count under
# test is passed to each library explicitly.
export OPENBLAS_NUM_THREADS=1
files=(); for d in ${DATASETS:-ml-100k synthetic}; do files+=("$work/$d.tsv"); done
exec "$venv/bin/python" "$here/peers.py" --recbench "$recbench" --threads ${THREADS:-1 2} \
  --repeat "${REPEAT:-2}" --factors "${FACTORS:-64}" --iterations "${ITERATIONS:-15}" \
  ${HOLDOUT:+--holdout "$HOLDOUT"} ${MODELS:+--models $MODELS} "${files[@]}"
