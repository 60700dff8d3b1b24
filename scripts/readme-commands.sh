#!/usr/bin/env bash
# Runs every command of README.md's ```sh blocks as written, in order, in one shell, inside a scratch copy
# of the working tree (so outputs such as results/ and cmp.csv never land in the clone). `recbench` is put on
# PATH and linked as .build/release/recbench, standing in for `make install`.
#
# Commands that need the network, a Slurm cluster, a tool that is not installed, or that rebuild the project are
# not run: each prints a SKIP line with its reason (`make install` runs as `make -n install`, a dry run).
#
#   scripts/readme-commands.sh            # RECBENCH_BIN (default .build/release/recbench), RECBENCH_DATA_DIR
#   scripts/readme-commands.sh --all      # also the slow ones (`bench scoring` at full size: minutes on 2 cores)
#   scripts/readme-commands.sh --list     # print the extracted commands and what would be done with each
#
# Exit 0 when every command that ran succeeded, 1 otherwise; the last line counts them.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
list_only=no; all=no
case "${1:-}" in --list) list_only=yes ;; --all) all=yes ;; esac

bin="${RECBENCH_BIN:-$root/.build/release/recbench}"
case "$bin" in /*) ;; *) bin="$root/$bin" ;; esac
if [ "$list_only" = no ] && [ ! -x "$bin" ]; then
  echo "readme-commands: no recbench binary at $bin (build it, or set RECBENCH_BIN)" >&2
  exit 2
fi

# The logical command lines of the ```sh blocks (continuation lines joined), one per output line. A here-document
# (`cmd <<'EOF'` … `EOF`) stays one command: its lines are joined with the unit separator \x1f, restored before eval.
extract() {
  awk '
    /^```sh[[:space:]]*$/ { inside = 1; next }
    /^```/ && heredoc == "" { inside = 0; next }
    inside && heredoc != "" {
      body = body "\x1f" $0
      if ($0 == heredoc) { print body; heredoc = ""; body = "" }
      next
    }
    inside {
      line = $0
      if (pending != "") { line = pending " " line; pending = "" }
      if (match(line, /<<-?[[:space:]]*[\047"]?[A-Za-z_]+[\047"]?/)) {
        term = substr(line, RSTART, RLENGTH); sub(/^<<-?[[:space:]]*[\047"]?/, "", term); sub(/[\047"]$/, "", term)
        heredoc = term; body = line; next
      }
      if (line ~ /\\[[:space:]]*$/) { sub(/\\[[:space:]]*$/, "", line); pending = line; next }
      if (line ~ /^[[:space:]]*(#.*)?$/) next
      print line
    }' "$root/README.md"
}

have_movielens() { [ -n "${RECBENCH_DATA_DIR:-}" ] && [ -f "$RECBENCH_DATA_DIR/ml-100k/u.data" ]; }

# What to do with one command: "run", "dry:<replacement>" or "skip:<reason>".
decide() {
  local c="$1"
  case "$c" in
    "make demo"*|"make test"*) echo "skip:builds and runs the whole suite (that is what CI itself runs)" ;;
    "make install"*) echo "dry:make -n install" ;;
    *sbatch*) echo "skip:needs a Slurm cluster (make test-slurm checks the array script)" ;;
    *"datasets fetch"*) echo "skip:downloads from the network" ;;
    *"swift package benchmark"*) echo "skip:builds the separate Benchmarks package (minutes)" ;;
    *parallel*) if command -v parallel >/dev/null; then echo run; else echo "skip:GNU parallel is not installed"; fi ;;
    *"bench scoring"*) if [ "$all" = yes ]; then echo run; else echo "skip:slow (minutes on two cores; --all runs it)"; fi ;;
    *ml100k*|*ml-100k*|*ci-regression*|*"bench fit"*)
      if have_movielens; then echo run; else echo "skip:needs MovieLens 100K in RECBENCH_DATA_DIR"; fi ;;
    *) echo run ;;
  esac
}

if [ "$list_only" = yes ]; then
  extract | while IFS= read -r c; do printf '%-60s %s\n' "$(decide "$c")" "$c"; done
  exit 0
fi

scratch="$(mktemp -d "${TMPDIR:-/tmp}/recbench-readme.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT
(cd "$root" && git ls-files -z | tar --null -T - -cf - | tar -xf - -C "$scratch")
mkdir -p "$scratch/.build/release"
ln -s "$bin" "$scratch/.build/release/recbench"
export PATH="$scratch/.build/release:$PATH"
cd "$scratch" || exit 2
echo "readme-commands: running README.md's commands in $scratch with recbench = $bin"

passed=0; failed=0; skipped=0; n=0
commands="$(extract)"
while IFS= read -r c; do
  n=$((n + 1))
  action="$(decide "$c")"
  case "$action" in
    skip:*) skipped=$((skipped + 1)); echo "SKIP $n: $c  (${action#skip:})"; continue ;;
    dry:*) run="${action#dry:}"; echo "DRY  $n: $c  (as: $run)" ;;
    *) run="${c//$'\x1f'/$'\n'}"; echo "RUN  $n: ${c%%$'\x1f'*}" ;;
  esac
  start=$SECONDS
  # eval in this shell, so variables and exports of one line reach the next ones, as in a terminal.
  if eval "$run" </dev/null >"$scratch/.last.log" 2>&1; then
    passed=$((passed + 1)); echo "     ok ($((SECONDS - start)) s)"
  else
    status=$?; failed=$((failed + 1))
    echo "     FAILED with status $status after $((SECONDS - start)) s; last lines:"
    tail -n 15 "$scratch/.last.log" | sed 's/^/       /'
  fi
  cd "$scratch" || exit 2
done <<< "$commands"

echo "readme-commands: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
