#!/usr/bin/env python3
"""Peer comparison for Recbench's FM: myfm (PyPI, a C++ Bayesian FM) on the same ML-100K features.

Builds, from u{fold}.base/.test, u.user and u.item, the feature sets Recbench's FM uses:
  ids         user one-hot, item one-hot
  attributes  + age bucket, gender, occupation (user); genre multi-hot, release decade (item)
  history     + the user's training items, each weighted 1/sqrt(n)
and fits MyFMRegressor (rank 10, Gibbs sampling) with one parameter group per feature group.
It prints seconds per iteration (from myfm's per-iteration callback) and the test RMSE.

--layout plain    one sparse row per rating (the same design matrix as a plain libFM file)
--layout relation myfm's RelationBlock (user and item parts stored once per entity)

Usage (creates its own venv under /tmp on first use; pin to one core for 1-thread timing):
  taskset -c 0 python3 Benchmarks/peers/fm_myfm.py --data ../shared/datasets/ml-100k \
      --features ids --folds 1 --iterations 100 --layout plain
"""
import argparse
import os
import subprocess
import sys

VENV = os.environ.get("RECBENCH_PEER_VENV", "/tmp/recbench-peers-venv")


def ensure_venv():
    try:
        import myfm  # noqa: F401
        import scipy  # noqa: F401
        return
    except ImportError:
        pass
    py = os.path.join(VENV, "bin", "python")
    if not os.path.exists(py):
        subprocess.check_call([sys.executable, "-m", "venv", VENV])
        subprocess.check_call([py, "-m", "pip", "install", "-q", "myfm", "numpy", "scipy"])
    os.execv(py, [py] + sys.argv)


def age_bucket(a):
    for hi, name in ((17, "under-18"), (24, "18-24"), (34, "25-34"), (44, "35-44"), (49, "45-49"), (55, "50-55")):
        if a <= hi:
            return name
    return "56+"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="../shared/datasets/ml-100k")
    ap.add_argument("--features", choices=["ids", "attributes", "history"], default="ids")
    ap.add_argument("--layout", choices=["plain", "relation"], default="plain")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--iterations", type=int, default=200)
    ap.add_argument("--burn-in", type=int, default=50)
    ap.add_argument("--rank", type=int, default=10)
    args = ap.parse_args()
    ensure_venv()
    import time
    import numpy as np
    import scipy.sparse as sps
    import myfm

    d = args.data
    users, items = {}, {}
    ages, genders, occs = [], [], []
    with open(os.path.join(d, "u.user"), encoding="latin-1") as f:
        for line in f:
            uid, age, g, occ, _ = line.rstrip("\n").split("|")
            users[uid] = len(users); ages.append(age_bucket(int(age))); genders.append(g); occs.append(occ)
    genres, decades = [], []
    with open(os.path.join(d, "u.item"), encoding="latin-1") as f:
        for line in f:
            fs = line.rstrip("\n").split("|")
            items[fs[0]] = len(items)
            genres.append([k for k, v in enumerate(fs[5:24]) if v == "1"])
            date = fs[2]
            decades.append(f"{int(date[-4:]) // 10 * 10}s" if len(date) >= 4 else None)
    nu, ni = len(users), len(items)

    def onehot(values):
        levels = sorted({v for v in values if v is not None})
        idx = {v: k for k, v in enumerate(levels)}
        rows = [r for r, v in enumerate(values) if v is not None]
        cols = [idx[values[r]] for r in rows]
        return sps.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(values), len(levels)))

    def read(name):
        u, i, y = [], [], []
        with open(os.path.join(d, name)) as f:
            for line in f:
                a, b, r, _ = line.split("\t")
                u.append(users[a]); i.append(items[b]); y.append(float(r))
        return np.array(u), np.array(i), np.array(y)

    rmses, spi = [], []
    for fold in range(1, args.folds + 1):
        tu, ti, ty = read(f"u{fold}.base")
        su, si, sy = read(f"u{fold}.test")
        ublocks = [sps.identity(nu, format="csr")]
        iblocks = [sps.identity(ni, format="csr")]
        if args.features in ("attributes", "history"):
            ublocks += [onehot(ages), onehot(genders), onehot(occs)]
            gr = [r for r, gs in enumerate(genres) for _ in gs]
            gc = [c for gs in genres for c in gs]
            iblocks += [sps.csr_matrix((np.ones(len(gr)), (gr, gc)), shape=(ni, 19)), onehot(decades)]
        if args.features == "history":
            h = sps.csr_matrix((np.ones(len(tu)), (tu, ti)), shape=(nu, ni))
            n = np.asarray(h.sum(axis=1)).ravel()
            h = sps.diags(1 / np.sqrt(np.maximum(n, 1))) @ h
            ublocks.append(h.tocsr())
        U, I = sps.hstack(ublocks, format="csr"), sps.hstack(iblocks, format="csr")
        group_shapes = [b.shape[1] for b in ublocks + iblocks]
        if args.layout == "plain":
            X = sps.hstack([U[tu], I[ti]], format="csr")
            Xs = sps.hstack([U[su], I[si]], format="csr")
            rel, rel_test = [], []
        else:
            X = sps.csr_matrix((len(ty), 0)); Xs = sps.csr_matrix((len(sy), 0))
            rel = [myfm.RelationBlock(tu, U), myfm.RelationBlock(ti, I)]
            rel_test = [myfm.RelationBlock(su, U), myfm.RelationBlock(si, I)]
        stamps = []

        def cb(i, fm, hyper, history):
            stamps.append(time.perf_counter())
            return False, None

        model = myfm.MyFMRegressor(rank=args.rank, random_seed=42)
        t0 = time.perf_counter()
        model.fit(X, ty, X_rel=rel, n_iter=args.iterations, n_kept_samples=args.iterations - args.burn_in,
                  group_shapes=group_shapes, callback=cb)
        total = time.perf_counter() - t0
        # Median gap between callbacks: the steady-state cost of one Gibbs sweep.
        gaps = np.diff(stamps)
        spi.append(float(np.median(gaps)) if len(gaps) else total / args.iterations)
        pred = np.clip(model.predict(Xs, rel_test), 1, 5)
        rmses.append(float(np.sqrt(np.mean((pred - sy) ** 2))))
        print(f"fold {fold}: rmse {rmses[-1]:.4f}  s/iter {spi[-1]:.4f}  fit {total:.1f}s  nnz/row {X.nnz / max(1, X.shape[0]):.1f}",
              flush=True)
    print(f"myfm {args.features} {args.layout}: rmse {np.mean(rmses):.4f}  s/iter {np.mean(spi):.4f}  "
          f"(rank {args.rank}, {args.iterations} iterations, burn-in {args.burn_in}, {args.folds} fold(s))")


if __name__ == "__main__":
    main()
