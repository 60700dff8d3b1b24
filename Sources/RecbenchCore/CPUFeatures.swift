internal import CIntrinsics

/// What the CPU offers the hand-written kernels, read once per process.
public enum CPUFeatures {
    /// AVX2 + FMA with the OS saving the YMM registers: the kernels in CIntrinsics compiled for that
    /// target may run (scoring tile, graph propagation, the ALS solvers, the top-K scan).
    public static let avx2FMA = recbench_has_avx2_fma() != 0
}
