/// Peak memory of one neighbour build (`Neighborhoods.build`) over `rows` rows of a training matrix
/// of `shape`, keeping `kept` neighbours per row, for the estimates of ItemKNN, UserKNN and RP3β.
enum NeighborhoodMemory {
    static func bytes(rows n: Int, kept: Int, _ s: DataShape) -> Int {
        let m = min(max(0, kept), max(0, n - 1)), t = s.threads
        // The prepared vectors' values, span (8 per entry), costs, norms, floors; for ratings also the
        // transposed copy (ranking passes the matrix's other orientation), residuals and biases.
        let rating = s.task == .rating
        let inputs =
            4 * s.interactions + 8 * s.interactions + 24 * n
            + (rating ? s.sparseBytes(rows: s.users + s.items - n) + 4 * s.interactions + 16 * (s.users + s.items) : 0)
        // Per worker: a row heap of 8-byte keys per row, sizes and floors, and the pair scratch.
        let workers = t * (8 * n * m + 8 * n + 16 * n)
        // The merged lists (Int32 neighbour + Float weight) and the merge's per-worker buffers.
        let lists = 8 * n * m + 8 * n + t * 8 * m * t
        return inputs + workers + lists
    }
}
