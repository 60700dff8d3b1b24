#!/usr/bin/env python3
"""Checks that two Recbench run folders hold the same results, timing columns aside.

Usage: scripts/compare-runs.py RUN_A RUN_B   (exit 0 when equal, 1 with the differences otherwise)

Compared: results.json without run id, start time and timings (load/filter/split/fit/score/evaluate
seconds, a search candidate's validation seconds, peak RSS); metrics.csv and per_user.csv byte for byte; summary.md with the run id and
fit-time column masked.
"""
import json
import re
import sys
from pathlib import Path

TIMING = {"runID", "startedAt", "wallSeconds", "loadSeconds", "filterSeconds", "splitSeconds",
          "fitSeconds", "scoreSeconds", "evaluateSeconds", "peakResidentBytes", "validationSeconds"}


def strip(node):
    if isinstance(node, dict):
        return {k: strip(v) for k, v in node.items() if k not in TIMING}
    if isinstance(node, list):
        return [strip(v) for v in node]
    return node


def comparable(run):
    run = Path(run)
    results = json.loads((run / "results.json").read_text())
    out = {"results.json": json.dumps(strip(results), sort_keys=True, indent=1)}
    for name in ("metrics.csv", "per_user.csv"):
        if (run / name).exists():
            out[name] = (run / name).read_text()
    # The last column of the summary tables is the mean fit time.
    summary = (run / "summary.md").read_text().replace(results["runID"], "RUN")
    out["summary.md"] = re.sub(r"\| [0-9.]+ \|$", "| |", summary, flags=re.M)
    return out


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    a, b = comparable(sys.argv[1]), comparable(sys.argv[2])
    differ = [name for name in sorted(set(a) | set(b)) if a.get(name) != b.get(name)]
    for name in differ:
        print(f"differs: {name}")
    if differ:
        sys.exit(1)
    trials = len(json.loads(Path(sys.argv[1], "results.json").read_text())["trials"])
    print(f"identical (timing aside): {', '.join(sorted(a))}; {trials} trials")


if __name__ == "__main__":
    main()
