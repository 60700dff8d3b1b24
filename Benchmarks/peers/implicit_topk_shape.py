"""implicit's batched ALS recommend (top-10, 20 seen items a user filtered) on random factors of a
given shape: python implicit_topk_shape.py USERS ITEMS FACTORS THREADS. Compare with
`recbench bench scoring --users USERS --items ITEMS --dim FACTORS --threads THREADS`."""
import sys, time, numpy as np, scipy.sparse as sp, warnings
warnings.filterwarnings("ignore")
from implicit.cpu.als import AlternatingLeastSquares
U, I, D, T = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rng = np.random.default_rng(1)
m = AlternatingLeastSquares(factors=D, num_threads=T)
m.user_factors = (rng.random((U, D), dtype=np.float32) - 0.5)
m.item_factors = (rng.random((I, D), dtype=np.float32) - 0.5)
rows = np.repeat(np.arange(U), 20); cols = rng.integers(0, I, U * 20)
ui = sp.csr_matrix((np.ones(U * 20, dtype=np.float32), (rows, cols)), shape=(U, I))
best = 1e9
for _ in range(2):
    t0 = time.perf_counter(); ids, _ = m.recommend(np.arange(U), ui, N=10, filter_already_liked_items=True); best = min(best, time.perf_counter() - t0)
print(f"implicit recommend {U}x{I}x{D} threads={T}: {best:.3f} s")
