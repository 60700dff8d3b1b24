"""Scaling series for issue 18: how load, split, an iALS iteration, the item-neighbour build and
full-ranking evaluation grow from 10⁵ to 10⁸ interactions.

Each size is a synthetic set with a fixed catalogue and a fixed number of interactions per user
(so every stage's work is linear in the interactions: users grow, items do not), exported once as
TSV and run through `recbench run` on a one-fold per-user 80/20 holdout: ImplicitALS with one
iteration and ItemKNN. The stage times come from the run's profile.csv, the peak resident memory
from /usr/bin/time. Writes RESULTS.md (table, per-interaction costs, the ratio of the largest size's
cost to the 10⁶ one's) and scaling.svg (log–log) into --out.

Run through run_scaling.sh.
"""
import argparse
import csv
import json
import math
import os
import re
import subprocess
import time

STAGES = ["load", "split", "iALS iteration", "neighbour build", "evaluation"]


def experiment(tsv, n, threads):
    return {
        "name": f"scaling-{n}",
        "description": "Scaling series (Benchmarks/scaling): one holdout fold, one iALS iteration, ItemKNN.",
        "seed": 42, "threads": threads, "task": "ranking",
        "datasets": [{"name": f"n{n}", "file": tsv,
                      "format": {"separator": "\t", "header": True, "user": "user", "item": "item",
                                 "rating": "rating", "timestamp": "timestamp"}}],
        "split": {"method": "holdout", "test_fraction": 0.2, "per_user": True},
        "algorithms": [{"name": "ImplicitALS", "params": {"factors": 64, "iterations": 1}},
                       {"name": "ItemKNN", "params": {"k": 50, "neighbors_kept": 50}}],
        "metrics": ["ndcg@10"],
        "candidates": {"protocol": "full"},
    }


def measure(a, n):
    users = n // a.per_user
    tsv = os.path.join(a.work, f"n{n}.tsv")
    if not os.path.exists(tsv):
        subprocess.run([a.recbench, "datasets", "export", "synthetic", "--users", str(users), "--items", str(a.items),
                        "--interactions", str(n), "--factors", "16", "--taste-groups", "64", "--in-group-share", "0.7",
                        "--seed", "7", "--output", tsv + ".part"], check=True, stdout=subprocess.DEVNULL)
        os.replace(tsv + ".part", tsv)
    exp = os.path.join(a.work, f"n{n}.json")
    with open(exp, "w") as f:
        json.dump(experiment(tsv, n, a.threads), f)
    out = os.path.join(a.work, f"out-{n}")
    t0 = time.time()
    run = subprocess.run(["/usr/bin/time", "-v", a.recbench, "run", exp, "--output", out, "--no-cache", "--quiet",
                          "--threads", str(a.threads)], capture_output=True, text=True)
    wall = time.time() - t0
    if run.returncode != 0:
        raise SystemExit(f"recbench run failed for {n}:\n{run.stderr[-2000:]}")
    peak_kib = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", run.stderr).group(1))
    rows = list(csv.DictReader(open(os.path.join(out, f"scaling-{n}", "latest", "profile.csv"))))

    def seconds(phase, configuration=None):
        return sum(float(r["seconds"]) for r in rows
                   if r["phase"] == phase and (configuration is None or r["configuration"].startswith(configuration)))
    return {
        "n": n, "users": users, "items": a.items, "wall": wall, "peak_mib": peak_kib / 1024,
        "load": seconds("load"), "split": seconds("split"),
        "iALS iteration": seconds("fit", "ImplicitALS"), "neighbour build": seconds("fit", "ItemKNN"),
        "evaluation": seconds("score", "ImplicitALS") + seconds("evaluate", "ImplicitALS"),
    }


def svg(results, path):
    """Log–log plot of each stage's seconds against interactions, with a slope-1 guide."""
    w, h, m = 640, 420, 60
    xs = [math.log10(r["n"]) for r in results]
    ys = [math.log10(max(r[s], 1e-3)) for r in results for s in STAGES]
    x0, x1, y0, y1 = min(xs), max(xs), math.floor(min(ys)), math.ceil(max(ys))

    def px(x):
        return m + (x - x0) / max(x1 - x0, 1e-9) * (w - 2 * m)

    def py(y):
        return h - m - (y - y0) / max(y1 - y0, 1e-9) * (h - 2 * m)
    colours = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e"]
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" '
             f'font-size="12"><rect width="{w}" height="{h}" fill="white"/>']
    for e in range(int(x0), int(x1) + 1):
        parts.append(f'<line x1="{px(e)}" y1="{h - m}" x2="{px(e)}" y2="{m}" stroke="#ddd"/>'
                     f'<text x="{px(e)}" y="{h - m + 16}" text-anchor="middle">10^{e}</text>')
    for e in range(y0, y1 + 1):
        parts.append(f'<line x1="{m}" y1="{py(e)}" x2="{w - m}" y2="{py(e)}" stroke="#ddd"/>'
                     f'<text x="{m - 6}" y="{py(e) + 4}" text-anchor="end">10^{e}</text>')
    parts.append(f'<text x="{w / 2}" y="{h - 12}" text-anchor="middle">interactions</text>'
                 f'<text x="14" y="{h / 2}" transform="rotate(-90 14 {h / 2})" text-anchor="middle">seconds</text>')
    # Slope 1 through the first load point: linear cost.
    first = math.log10(max(results[0]["load"], 1e-3))
    parts.append(f'<line x1="{px(x0)}" y1="{py(first)}" x2="{px(x1)}" y2="{py(first + x1 - x0)}" '
                 f'stroke="#999" stroke-dasharray="4 4"/>')
    for k, s in enumerate(STAGES):
        pts = " ".join(f"{px(math.log10(r['n']))},{py(math.log10(max(r[s], 1e-3)))}" for r in results)
        parts.append(f'<polyline fill="none" stroke="{colours[k]}" stroke-width="2" points="{pts}"/>'
                     f'<text x="{m + 8}" y="{m + 16 * k}" fill="{colours[k]}">{s}</text>')
    parts.append(f'<text x="{w - m}" y="{m}" text-anchor="end" fill="#999">dashed: slope 1 (linear)</text></svg>')
    with open(path, "w") as f:
        f.write("\n".join(parts) + "\n")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--recbench", required=True)
    p.add_argument("--sizes", type=int, nargs="+", default=[10**5, 10**6, 10**7, 10**8])
    p.add_argument("--items", type=int, default=20_000)
    p.add_argument("--per-user", type=int, default=100)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--work", default="/tmp/recbench-scaling")
    p.add_argument("--out", required=True)
    a = p.parse_args()
    os.makedirs(a.work, exist_ok=True)
    load = os.getloadavg()
    results = []
    for n in a.sizes:
        results.append(measure(a, n))
        print(json.dumps(results[-1]), flush=True)
    base = next((r for r in results if r["n"] == 10**6), results[0])
    lines = [
        "# Scaling series", "",
        f"`Benchmarks/scaling/run_scaling.sh` (sizes {' '.join(str(n) for n in a.sizes)}), {a.threads} threads, "
        f"{a.items:,} items, {a.per_user} interactions per user; load average at the start "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.", "",
        "| interactions | users | " + " | ".join(f"{s} s" for s in STAGES) + " | peak RSS MiB | wall s |",
        "|---:|---:|" + "---:|" * (len(STAGES) + 2),
    ]
    for r in results:
        lines.append(f"| {r['n']:,} | {r['users']:,} | " + " | ".join(f"{r[s]:.2f}" for s in STAGES)
                     + f" | {r['peak_mib']:.0f} | {r['wall']:.1f} |")
    lines += ["", f"Cost per interaction relative to {base['n']:,} (1.00 = linear):", "",
              "| interactions | " + " | ".join(STAGES) + " |", "|---:|" + "---:|" * len(STAGES)]
    for r in results:
        cells = []
        for s in STAGES:
            ref = base[s] / base["n"]
            cells.append(f"{(r[s] / r['n']) / ref:.2f}" if ref > 0 else "n/a")
        lines.append(f"| {r['n']:,} | " + " | ".join(cells) + " |")
    lines += ["", "![log–log plot of each stage's seconds against interactions](scaling.svg)", ""]
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "RESULTS.md"), "w") as f:
        f.write("\n".join(lines))
    svg(results, os.path.join(a.out, "scaling.svg"))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
