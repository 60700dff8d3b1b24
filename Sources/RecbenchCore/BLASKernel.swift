extension BLAS {
    /// The OpenBLAS kernel family a process should ask for instead of the one the library chose, or
    /// nil to keep it. OpenBLAS chooses its kernels once, when it is loaded, from the CPU's model;
    /// a release older than the CPU (Debian 12's 0.3.21 on Sapphire Rapids) does not recognise it
    /// and falls back to "Prescott", its SSE3 kernels. Only `OPENBLAS_CORETYPE`, read at load, can
    /// change that, so the command-line tool re-executes itself once with it set (`Recbench.main`).
    ///
    /// Haswell (AVX2 + FMA, present wherever `CPUFeatures.avx2FMA` is) rather than SkylakeX:
    /// measured on this project's 2-core Sapphire Rapids machine against Prescott, Haswell was
    /// faster on every workload (ALS fit 2.2×, fused top-K scoring 3×, EASE 1.7×, the attention
    /// models' training 1.4×), while SkylakeX, best on large GEMMs (EASE 3.6×), was slower than
    /// Haswell on the small ones (ALS, scoring tiles). A user who sets `OPENBLAS_CORETYPE` keeps it.
    public static func preferredKernel(environment: [String: String]) -> String? {
        guard environment["OPENBLAS_CORETYPE"] == nil, coreName.lowercased() == "prescott",
            CPUFeatures.avx2FMA
        else { return nil }
        return "Haswell"
    }
}
