/// Per-user values of two evaluations matched by external user ID: the pairs of a paired test
/// between two configurations (`compare`), between a baseline and a run (`check`), and the rows of
/// a tied group's check.
enum UserPairing {
    /// `values` (one per entry of `users`) in the order of `list`; NaN for a user `users` lacks.
    static func aligned(_ values: [Double], users: [String], to list: [String]) -> [Double] {
        var index = [String: Int](minimumCapacity: users.count)
        for (k, u) in users.enumerated() { index[u] = k }
        return list.map { u in index[u].map { values[$0] } ?? .nan }
    }

    /// Appends to `xs` and `ys` the values of every user both sides hold, in `a`'s user order;
    /// a NaN on either side (e.g. AUC without negatives) drops the pair.
    static func append(
        users aUsers: [String], _ a: [Double], users bUsers: [String], _ b: [Double],
        to xs: inout [Double], _ ys: inout [Double]
    ) {
        for (x, y) in zip(a, aligned(b, users: bUsers, to: aUsers)) where !x.isNaN && !y.isNaN {
            xs.append(x); ys.append(y)
        }
    }
}
