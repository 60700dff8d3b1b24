"""Times implicit (and LensKit when importable) against Recbench on the same TSV files.

Run through run_peers.sh, which builds the virtual environment and exports the data. Every
interaction counts 1 (implicit feedback). For each file, thread count and model, each side is
run --repeat times and the best wall time is kept; ratio = peer time / Recbench time (above 1
means Recbench is faster). Recbench is timed by `recbench bench fit`, whose `result` line gives
fit_seconds and topk_seconds (top-10 for every user, seen items excluded).

With --holdout F, each file is first split per user (seeded: a random F of every user's interactions
with at least two held out, as experiments/scale-20m.json does), both sides train on the rest, and
both lists are scored on the held-out part: NDCG@10 and recall@10 over the users with a held-out
item known to the training file (Recbench through `bench fit --test`, implicit here, same
formulas), so the times compare models of the same quality.

The models are made the same: implicit's confidence is alpha·r where Recbench's is 1 + alpha·r, so
implicit gets alpha + 1.
"""
import argparse
import os
import re
import subprocess
import sys
import time

import warnings

import numpy as np
import scipy.sparse as sp


warnings.filterwarnings("ignore", module="implicit")


def read_pairs(path):
    """(user, item) external IDs as two string arrays, header skipped."""
    try:
        import pandas as pd
        df = pd.read_csv(path, sep="\t", usecols=[0, 1], dtype=str)
        return df.iloc[:, 0].to_numpy(), df.iloc[:, 1].to_numpy()
    except ImportError:
        with open(path) as f:
            next(f)
            pairs = [line.split("\t", 2)[:2] for line in f]
        return np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])


def load(path):
    """The users × items 0/1 matrix and the user and item ID → row / column maps."""
    u, i = read_pairs(path)
    user_ids, rows = np.unique(u, return_inverse=True)
    item_ids, cols = np.unique(i, return_inverse=True)
    m = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(user_ids), len(item_ids)))
    m.sum_duplicates()
    m.data[:] = 1
    return m, {x: k for k, x in enumerate(user_ids)}, {x: k for k, x in enumerate(item_ids)}


def holdout(path, fraction, seed=1):
    """Per-user split into path.train.tsv / path.test.tsv (made once): round(fraction · n) random
    interactions of every user with n ≥ 2 are held out, at least one."""
    stem = path.rsplit(".", 1)[0]
    train, test = f"{stem}.train.tsv", f"{stem}.test.tsv"
    if os.path.exists(train) and os.path.exists(test):
        return train, test
    with open(path) as f:
        header = f.readline()
        lines = f.readlines()
    u = np.array([line.split("\t", 1)[0] for line in lines])
    order = np.lexsort((np.random.default_rng(seed).random(len(lines)), u))  # by user, random within
    _, start, count = np.unique(u[order], return_index=True, return_counts=True)
    rank = np.arange(len(lines)) - np.repeat(start, count)
    n = np.repeat(count, count)
    held = np.zeros(len(lines), dtype=bool)
    held[order] = (n >= 2) & (rank < np.maximum(1, np.rint(fraction * n)))
    for name, keep in ((train, ~held), (test, held)):
        with open(name + ".part", "w") as f:
            f.write(header)
            f.writelines(line for line, k in zip(lines, keep) if k)
        os.replace(name + ".part", name)
    return train, test


def relevant_sets(test_path, users, items):
    """Each training user's held-out items (training column indices); unknown users and items dropped."""
    out = {}
    for u, i in zip(*read_pairs(test_path)):
        if u in users and i in items:
            out.setdefault(users[u], set()).add(items[i])
    return out


def quality(ids, relevant, k=10):
    """Mean NDCG@k and recall@k (binary gains) over the users in `relevant`; ids: users × k, -1 = none."""
    discount = 1 / np.log2(np.arange(2, k + 2))
    ndcg = recall = 0.0
    for u, items in relevant.items():
        hits = np.array([i in items for i in ids[u][:k]])
        ndcg += (discount[:k][hits]).sum() / discount[:min(len(items), k)].sum()
        recall += hits.sum() / len(items)
    return ndcg / len(relevant), recall / len(relevant)


def best(fn, repeat):
    """Best (fit, top-10) seconds over repeat runs of fn, which returns (fit, top-10, quality)."""
    runs = [fn() for _ in range(repeat)]
    return min(r[0] for r in runs), min(r[1] for r in runs), runs[-1][2]


def implicit_model(name, a, threads):
    import implicit
    if name == "ImplicitALS":
        return implicit.cpu.als.AlternatingLeastSquares(factors=a.factors, regularization=0.01, alpha=2.0,
                                                        iterations=a.iterations, num_threads=threads, random_state=1)
    if name == "BPR":
        return implicit.cpu.bpr.BayesianPersonalizedRanking(factors=a.factors, learning_rate=0.05, regularization=0.01,
                                                            iterations=a.epochs, num_threads=threads, random_state=1)
    if name == "ItemKNN":
        return implicit.nearest_neighbours.CosineRecommender(K=20, num_threads=threads)
    raise ValueError(name)


def run_implicit(name, m, a, threads, relevant=None):
    model = implicit_model(name, a, threads)
    t0 = time.perf_counter()
    model.fit(m, show_progress=False)
    fit = time.perf_counter() - t0
    users = np.arange(m.shape[0])
    t0 = time.perf_counter()
    ids, _ = model.recommend(users, m, N=10, filter_already_liked_items=True)
    topk = time.perf_counter() - t0
    assert ids.shape == (m.shape[0], 10)
    return fit, topk, quality(ids, relevant) if relevant else None


def run_lenskit(name, path, a, threads):
    """Runs lenskit_once in a child process (LensKit's thread settings are fixed per process)."""
    if name not in ("ImplicitALS", "ItemKNN"):
        return None
    out = subprocess.run([sys.executable, __file__, "--lenskit-once", name, "--threads", str(threads),
                          "--factors", str(a.factors), "--iterations", str(a.iterations), path],
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "failed")
    fit, topk = out.stdout.split()[-2:]
    return float(fit), float(topk)


def lenskit_once(name, path, a, threads):
    """LensKit 2025: ImplicitMF (ALS) and ItemKNN; no BPR equivalent is timed."""
    from lenskit.parallel import initialize
    initialize(processes=threads, threads=threads, backend_threads=1)
    import pandas as pd
    from lenskit.data import from_interactions_df
    from lenskit.pipeline import topn_pipeline
    from lenskit.batch import recommend
    df = pd.read_csv(path, sep="\t", usecols=["user", "item"]).rename(columns={"user": "user_id", "item": "item_id"})
    data = from_interactions_df(df)
    if name == "ImplicitALS":
        from lenskit.als import ImplicitMFScorer
        scorer = ImplicitMFScorer(embedding_size=a.factors, epochs=a.iterations, weight=1.0)
    elif name == "ItemKNN":
        from lenskit.knn import ItemKNNScorer
        scorer = ItemKNNScorer(max_nbrs=20, feedback="implicit")
    else:
        return None
    pipe = topn_pipeline(scorer, n=10)
    t0 = time.perf_counter()
    pipe.train(data)
    fit = time.perf_counter() - t0
    t0 = time.perf_counter()
    recommend(pipe, data.users.ids(), n=10, n_jobs=threads if threads > 1 else None)
    topk = time.perf_counter() - t0
    print(fit, topk)


def run_recbench(a, name, path, threads, test=None):
    params = {
        "ImplicitALS": [f"factors={a.factors}", f"iterations={a.iterations}", "regularization=0.01", "alpha=1",
                        "training_loss=false"],
        "BPR": [f"factors={a.factors}", f"epochs={a.epochs}", "learning_rate=0.05", "regularization=0.01"],
        "ItemKNN": ["k=20", "neighbors_kept=20", "similarity=cosine"],
    }[name]
    cmd = [a.recbench, "bench", "fit", name, "--data", path, "--threads", str(threads), "--k", "10"]
    cmd += ["--test", test] if test else []
    for p in params:
        cmd += ["--param", p]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        return None, out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "failed"
    line = [l for l in out.stdout.splitlines() if l.startswith("result ")][-1]
    kv = dict(re.findall(r"(\w+)=(\S+)", line))
    scores = (float(kv["ndcg"]), float(kv["recall"])) if "ndcg" in kv else None
    return (float(kv["fit_seconds"]), float(kv["topk_seconds"]), scores), None


def recbench_scoring(a, m, threads):
    """Top-10 for all users on synthetic factors of the data's shape (users × items × factors,
    the data's mean seen count excluded): the ImplicitALS top-10 row's stand-in while ImplicitALS
    is not in the recbench build."""
    seen = max(0, round(m.nnz / m.shape[0]))
    cmd = [a.recbench, "bench", "scoring", "--users", str(m.shape[0]), "--items", str(m.shape[1]),
           "--dim", str(a.factors), "--k", "10", "--threads", str(threads), "--seen", str(min(seen, m.shape[1] - 1)),
           "--repeat", str(a.repeat), "--reference-users", "1024"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    line = [l for l in out.stdout.splitlines() if l.startswith("result ")][-1]
    return float(dict(re.findall(r"(\w+)=(\S+)", line))["seconds"])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--recbench")
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--repeat", type=int, default=2)
    p.add_argument("--factors", type=int, default=64)
    p.add_argument("--iterations", type=int, default=15)
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--lenskit-max-users", type=int, default=10_000)
    p.add_argument("--holdout", type=float, help="score both sides on a per-user held-out share")
    p.add_argument("--models", default="ImplicitALS,BPR,ItemKNN",
                   help="comma-separated models compared, of ImplicitALS, BPR, ItemKNN (default: all three)")
    p.add_argument("--lenskit-once", help=argparse.SUPPRESS)
    p.add_argument("files", nargs="+")
    a = p.parse_args()
    a.models = a.models.split(",")
    if not set(a.models) <= {"ImplicitALS", "BPR", "ItemKNN"}:
        p.error(f"--models: {a.models} holds a model other than ImplicitALS, BPR, ItemKNN")
    if a.lenskit_once:
        lenskit_once(a.lenskit_once, a.files[0], a, a.threads[0])
        return
    try:
        import lenskit  # noqa: F401
        have_lenskit = True
    except Exception as e:  # noqa: BLE001
        print(f"LensKit unavailable ({e.__class__.__name__}: {e}); its columns are blank", file=sys.stderr)
        have_lenskit = False

    print(f"load average: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}; "
          f"factors={a.factors} ALS iterations={a.iterations} BPR epochs={a.epochs} item-CF k=20 cosine; best of {a.repeat}")
    header = ["data", "model", "thr", "recbench fit", "implicit fit", "ratio", "recbench top10", "implicit top10", "ratio"]
    if a.holdout:
        header += ["recbench NDCG@10", "implicit NDCG@10"]
    if have_lenskit:
        header += ["lenskit fit", "lenskit top10"]
    rows = []
    for source in a.files:
        path, test = holdout(source, a.holdout) if a.holdout else (source, None)
        m, users, items = load(path)
        relevant = relevant_sets(test, users, items) if test else None
        label = f"{os.path.basename(source).rsplit('.', 1)[0]} ({m.shape[0]}×{m.shape[1]}, {m.nnz})"
        for threads in a.threads:
            for name in a.models:
                imp = best(lambda: run_implicit(name, m, a, threads, relevant), a.repeat)
                rb_runs = [run_recbench(a, name, path, threads, test) for _ in range(a.repeat)]
                ok = [r for r, err in rb_runs if r is not None]
                rb = (min(r[0] for r in ok), min(r[1] for r in ok), ok[-1][2]) if ok else None
                note = rb_runs[0][1] if not ok else ""

                def cell(v, digits=3):
                    return f"{v:.{digits}f}" if v is not None else "n/a"
                row = [label, name, str(threads), cell(rb[0] if rb else None), cell(imp[0]),
                       f"{imp[0] / rb[0]:.2f}" if rb else "n/a", cell(rb[1] if rb else None), cell(imp[1]),
                       f"{imp[1] / rb[1]:.2f}" if rb else "n/a"]
                if a.holdout:
                    row += [cell(rb[2][0] if rb and rb[2] else None, 4), cell(imp[2][0] if imp[2] else None, 4)]
                if have_lenskit and m.shape[0] > a.lenskit_max_users:
                    row += ["skipped", "skipped"]  # its per-user batch recommend takes ~10 ms a user
                elif have_lenskit:
                    try:
                        lk = run_lenskit(name, path, a, threads)
                    except Exception as e:  # noqa: BLE001
                        print(f"LensKit {name}: {e.__class__.__name__}: {e}", file=sys.stderr)
                        lk = None
                    row += [cell(lk[0] if lk else None), cell(lk[1] if lk else None)]
                if note:
                    print(f"recbench {name}: {note}", file=sys.stderr)
                rows.append(row)
                print("  ".join(row), file=sys.stderr, flush=True)
                if name == "ImplicitALS" and not rb:
                    t = recbench_scoring(a, m, threads)
                    row = [label, "top-10 only*", str(threads), "", "", "", f"{t:.3f}", cell(imp[1]), f"{imp[1] / t:.2f}"]
                    row += ["", ""] if a.holdout else []
                    row += ["", ""] if have_lenskit else []
                    rows.append(row)
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print(" | ".join(h.ljust(w) for h, w in zip(header, widths)))
    print("-|-".join("-" * w for w in widths))
    for r in rows:
        print(" | ".join(c.ljust(w) for c, w in zip(r, widths)))
    print("times in seconds; ratio = implicit / recbench (above 1: Recbench faster)")
    if any(r[1] == "top-10 only*" for r in rows):
        print("* recbench has no ImplicitALS in this build: `recbench bench scoring` on random factors of the same "
              "users × items × factors shape, mean seen count excluded, against implicit's ALS recommend")


if __name__ == "__main__":
    main()
