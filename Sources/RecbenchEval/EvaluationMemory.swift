/// The evaluation's own working set beside the fitted model, for the runner's memory estimate:
/// the ranked lists of every evaluated user, their metric values, and per thread one score buffer —
/// a block of whole rows (`ScoringCore`'s `blockSize` users × all items) for models that score
/// themselves, a score tile for factor models (with its gathered or packed item panel, tile.items × d,
/// counted as a second tile: exact for d = tile.users = 512 factors, more than enough below) and the
/// catalogue's norm order (52 bytes per item while it is built). Never users × items.
public enum EvaluationMemory {
    /// `factorModel`: scored in tiles (unless `wholeRows`: AUC needs whole rows of every model).
    public static func bytes(
        users: Int, items: Int, k: Int, metrics: Int, threads: Int, factorModel: Bool, wholeRows: Bool = false,
        blockSize: Int = 512, tile: ScoringTile = ScoringTile()
    ) -> Int {
        let lists = users * k * 8 + users * max(1, metrics) * 8 + users * 16
        let fused = factorModel && !wholeRows
        let block = fused ? 2 * min(tile.users, users) * min(tile.items, items) : min(blockSize, users) * items
        // The fused path ranks its sample and the other users apart, then merges: the lists twice.
        return lists + max(1, threads) * 4 * block + (fused ? 52 * items + users * k * 8 : 0)
    }
}
