import Foundation
import RecbenchCore

/// One train/test(/validation) partition. Positions index the Dataset's columns, ascending;
/// the three lists are disjoint. Four bytes a position, like the columns' own indices: the
/// folds of a 10⁸-interaction set would otherwise hold 0.8 GB per fold.
public struct Fold: Sendable, Equatable {
    public let index: Int
    public let train: [Int32]
    public let test: [Int32]
    public let validation: [Int32]
    public init(index: Int, train: [Int32], test: [Int32], validation: [Int32] = []) {
        self.index = index; self.train = train; self.test = test; self.validation = validation
    }
}

/// How a predefined split's files list interactions.
public enum SplitFileLayout: String, Sendable, Hashable, Codable {
    /// One interaction a line; the first two fields are user and item (ML-100K's u1.base …).
    case pairs
    /// One user a line, `USER ITEM ITEM …` (the adjacency-list data sets' train/valid/test.txt).
    case adjacency
}

/// A predefined split's files (paths), e.g. ML-100K's u1.base / u1.test, or a published
/// train / valid / test split whose validation part feeds early stopping and model selection.
public struct PredefinedPair: Sendable, Hashable, Codable {
    public var base: String
    public var test: String
    public var validation: String?
    public var layout: SplitFileLayout
    public init(base: String, test: String, validation: String? = nil, layout: SplitFileLayout = .pairs) {
        self.base = base; self.test = test; self.validation = validation; self.layout = layout
    }
}

public enum SplitMethod: Sendable, Hashable {
    /// Over interactions: every interaction is in exactly one test fold.
    case kFold(k: Int)
    /// Each user's interactions split into k parts; fold f tests part f of every user.
    case userKFold(k: Int)
    /// Users partitioned into k groups; test users hold out testFraction of their interactions
    /// (at least 1); the rest of their data and all other users train.
    case userCrossfold(k: Int, testFraction: Double)
    /// Cold-start users: users partitioned into k groups; in fold f every user of group f with more
    /// than `maxTrain` interactions keeps a random 1...maxTrain of them for training and is tested
    /// on the rest (the others' data all trains), so every test user has at most maxTrain.
    case coldUsers(k: Int, maxTrain: Int)
    /// One random split, globally or per user; validation is carved out the same way.
    case holdout(testFraction: Double, perUser: Bool, validationFraction: Double)
    /// Global cutoff timestamp (test = at or after it) if given, else the latest testFraction
    /// globally or per user.
    case temporal(cutoff: Int64?, testFraction: Double, perUser: Bool)
    /// Per user: last by (timestamp, file position) → test, second-to-last → validation.
    /// Users with too few interactions stay train-only (fewer than 2, or fewer than 3 with
    /// validation), so every evaluated user keeps at least one training interaction.
    case leaveLastOut(validation: Bool)
    /// Files whose lines are matched to dataset positions by (external user, external item).
    case predefined(files: [PredefinedPair])
}

public enum Splitter {
    public static func folds(_ d: Dataset, method: SplitMethod, seed: UInt64) throws -> [Fold] {
        let n = d.count
        switch method {
        case let .kFold(k):
            try checkK(k)
            var perm = Array(0..<n)
            var r = RandomSource(seed: seed, stream: "split/k-fold")
            r.shuffle(&perm)
            var foldOf = [Int32](repeating: 0, count: n)
            for f in 0..<k { for j in (n * f / k)..<(n * (f + 1) / k) { foldOf[perm[j]] = Int32(f) } }
            return (0..<k).map { f in byLabel(n, f) { foldOf[$0] == f ? 1 : 0 } }

        case let .userKFold(k):
            try checkK(k)
            var r = RandomSource(seed: seed, stream: "split/user-k-fold")
            var foldOf = [Int32](repeating: 0, count: n)
            forEachUser(d) { _, positions in
                var ps = positions
                r.shuffle(&ps)
                let m = ps.count
                for f in 0..<k { for j in (m * f / k)..<(m * (f + 1) / k) { foldOf[ps[j]] = Int32(f) } }
            }
            return (0..<k).map { f in byLabel(n, f) { foldOf[$0] == f ? 1 : 0 } }

        case let .userCrossfold(k, testFraction):
            try checkK(k)
            try checkFraction(testFraction, "testFraction", open: true)
            guard k <= d.userCount else {
                throw RecbenchError.invalid("user crossfold: k = \(k) exceeds the \(d.userCount) users")
            }
            var r = RandomSource(seed: seed, stream: "split/user-crossfold")
            let group = userGroups(d.userCount, k, &r)
            // Which interactions a user would hold out when tested (decided once, per user).
            var heldOut = [Bool](repeating: false, count: n)
            forEachUser(d) { _, positions in
                var ps = positions
                r.shuffle(&ps)
                let t = min(ps.count, max(1, Int((testFraction * Double(ps.count)).rounded())))
                for j in 0..<t { heldOut[ps[j]] = true }
            }
            return (0..<k).map { f in
                byLabel(n, f) { p in group[Int(d.users[p])] == f && heldOut[p] ? 1 : 0 }
            }

        case let .coldUsers(k, maxTrain):
            try checkK(k)
            guard maxTrain >= 1 else { throw RecbenchError.invalid("cold users: maxTrain must be at least 1") }
            guard k <= d.userCount else {
                throw RecbenchError.invalid("cold users: k = \(k) exceeds the \(d.userCount) users")
            }
            var r = RandomSource(seed: seed, stream: "split/cold-users")
            let group = userGroups(d.userCount, k, &r)
            var heldOut = [Bool](repeating: false, count: n)
            forEachUser(d) { _, positions in
                guard positions.count > maxTrain else { return }
                var ps = positions
                r.shuffle(&ps)
                let keep = 1 + r.nextInt(below: maxTrain)
                for j in keep..<ps.count { heldOut[ps[j]] = true }
            }
            return (0..<k).map { f in
                byLabel(n, f) { p in group[Int(d.users[p])] == f && heldOut[p] ? 1 : 0 }
            }

        case let .holdout(testFraction, perUser, validationFraction):
            try checkFraction(testFraction, "testFraction", open: true)
            try checkFraction(validationFraction, "validationFraction", open: false)
            guard testFraction + validationFraction < 1 else {
                throw RecbenchError.invalid("holdout: testFraction + validationFraction must be below 1")
            }
            var r = RandomSource(seed: seed, stream: "split/holdout")
            var label = [UInt8](repeating: 0, count: n)
            func assign(_ positions: [Int]) {
                var ps = positions
                r.shuffle(&ps)
                let t = Int((testFraction * Double(ps.count)).rounded())
                let v = min(ps.count - t, Int((validationFraction * Double(ps.count)).rounded()))
                for j in 0..<t { label[ps[j]] = 1 }
                for j in t..<(t + v) { label[ps[j]] = 2 }
            }
            if perUser { forEachUser(d) { _, ps in assign(ps) } } else { assign(Array(0..<n)) }
            return [byLabel(n, 0) { label[$0] }]

        case let .temporal(cutoff, testFraction, perUser):
            let ts = try timestamps(d, "temporal split")
            var label = [UInt8](repeating: 0, count: n)
            if let cutoff {
                for p in 0..<n where ts[p] >= cutoff { label[p] = 1 }
            } else {
                try checkFraction(testFraction, "testFraction", open: true)
                func assign(_ positions: [Int]) {
                    let sorted = byTime(positions, ts)
                    let t = Int((testFraction * Double(sorted.count)).rounded())
                    for p in sorted.suffix(t) { label[p] = 1 }
                }
                if perUser { forEachUser(d) { _, ps in assign(ps) } } else { assign(Array(0..<n)) }
            }
            return [byLabel(n, 0) { label[$0] }]

        case let .leaveLastOut(validation):
            let ts = try timestamps(d, "leave-last-out split")
            var label = [UInt8](repeating: 0, count: n)
            forEachUser(d) { _, positions in
                // Keep at least one training interaction per user.
                let needed = validation ? 3 : 2
                guard positions.count >= needed else { return }
                let sorted = byTime(positions, ts)
                label[sorted[sorted.count - 1]] = 1
                if validation { label[sorted[sorted.count - 2]] = 2 }
            }
            return [byLabel(n, 0) { label[$0] }]

        case let .predefined(files):
            guard !files.isEmpty else { throw RecbenchError.invalid("predefined split: no files given") }
            var lookup = [UInt64: Int](minimumCapacity: n)
            for p in stride(from: n - 1, through: 0, by: -1) {
                lookup[UInt64(UInt32(d.users[p])) << 32 | UInt64(UInt32(d.items[p]))] = p
            }
            return try files.enumerated().map { f, pair in
                // Label 0 train, 1 test, 2 validation; an interaction listed by two files is an error.
                var label = [Int](repeating: -1, count: n), labelFile = ["", "", ""]
                let parts = [(pair.base, 0), (pair.validation, 2), (pair.test, 1)]
                for case let (path?, part) in parts {
                    labelFile[part] = (path as NSString).lastPathComponent
                    for (p, line) in try scanSplitFile(path, layout: pair.layout, d, lookup) {
                        if label[p] >= 0 && label[p] != part {
                            throw RecbenchError.input(
                                file: labelFile[part], line: line,
                                message: "interaction also in \(labelFile[label[p]])")
                        }
                        label[p] = part
                    }
                }
                return byLabel(n, f) { label[$0] }
            }
        }
    }

    /// The data set positions (and line numbers) of a file of (user, item) lines in the format of
    /// predefined split files, e.g. a validation file beside u1.base.
    public static func positions(ofFile path: String, in d: Dataset) throws -> [(position: Int, line: Int)] {
        var lookup = [UInt64: Int](minimumCapacity: d.count)
        for p in stride(from: d.count - 1, through: 0, by: -1) {
            lookup[UInt64(UInt32(d.users[p])) << 32 | UInt64(UInt32(d.items[p]))] = p
        }
        return try scanSplitFile(path, d, lookup)
    }

    // MARK: helpers

    static func checkK(_ k: Int) throws {
        guard k >= 2 else { throw RecbenchError.invalid("k must be at least 2, got \(k)") }
    }

    static func checkFraction(_ x: Double, _ name: String, open: Bool) throws {
        guard x.isFinite, open ? (x > 0 && x < 1) : (x >= 0 && x < 1) else {
            throw RecbenchError.invalid("\(name) must be in \(open ? "(0, 1)" : "[0, 1)"), got \(x)")
        }
    }

    static func timestamps(_ d: Dataset, _ what: String) throws -> [Int64] {
        guard let ts = d.timestamps else {
            throw RecbenchError.invalid("\(what) needs timestamps, but data set '\(d.name)' has none")
        }
        return ts
    }

    /// Each of `users` users' group 0..<k: a seeded shuffle cut into k near-equal parts.
    static func userGroups(_ users: Int, _ k: Int, _ r: inout RandomSource) -> [Int] {
        var order = Array(0..<users)
        r.shuffle(&order)
        var group = [Int](repeating: 0, count: users)
        for f in 0..<k { for j in (users * f / k)..<(users * (f + 1) / k) { group[order[j]] = f } }
        return group
    }

    /// Label 0 → train, 1 → test, 2 → validation, anything else → unused. Two passes: counting
    /// first sizes each list exactly (appending alone leaves up to twice the capacity, at 10⁸ rows
    /// a gigabyte).
    static func byLabel<L: BinaryInteger>(_ n: Int, _ index: Int, _ label: (Int) -> L) -> Fold {
        precondition(n <= Int(Int32.max), "more than 2³¹ − 1 interactions")
        var sizes = [0, 0, 0]
        for p in 0..<n { let l = Int(label(p)); if (0...2).contains(l) { sizes[l] += 1 } }
        var train: [Int32] = [], test: [Int32] = [], validation: [Int32] = []
        train.reserveCapacity(sizes[0]); test.reserveCapacity(sizes[1]); validation.reserveCapacity(sizes[2])
        for p in 0..<n {
            switch label(p) {
            case 0: train.append(Int32(p))
            case 1: test.append(Int32(p))
            case 2: validation.append(Int32(p))
            default: break
            }
        }
        return Fold(index: index, train: train, test: test, validation: validation)
    }

    /// Calls body(user, positions in file order) for every user with interactions, in user order.
    static func forEachUser(_ d: Dataset, _ body: (Int, [Int]) -> Void) {
        let g = Filters.positionsByUser(d)
        for u in 0..<d.userCount where g.offsets[u] < g.offsets[u + 1] {
            body(u, g.positions[g.offsets[u]..<g.offsets[u + 1]].map { Int($0) })
        }
    }

    /// Sorted by (timestamp, position): ties keep file order.
    static func byTime(_ positions: [Int], _ ts: [Int64]) -> [Int] {
        positions.sorted { ts[$0] != ts[$1] ? ts[$0] < ts[$1] : $0 < $1 }
    }

    /// Positions (and line numbers) of a split file's interactions. `pairs`: the first two fields
    /// of a line are user and item, separated by tabs, commas, colons or spaces. `adjacency`: a
    /// line is a user followed by its items, separated by spaces or tabs.
    static func scanSplitFile(
        _ path: String, layout: SplitFileLayout = .pairs, _ d: Dataset,
        _ lookup: [UInt64: Int]
    ) throws -> [(position: Int, line: Int)] {
        let file = try MappedFile(path)
        var out: [(Int, Int)] = []
        var problem: RecbenchError?
        file.data.withUnsafeBytes { (b: UnsafeRawBufferPointer) in
            var fields: [Range<Int>] = []
            forEachLine(b, releasing: file) { lineNo, line in
                guard problem == nil else { return }
                func position(_ user: String, _ u: Int32?, _ itemField: Range<Int>) -> Int? {
                    let item = decodeText(b, itemField)
                    guard let u, let it = d.itemIDs.index(of: item),
                        let p = lookup[UInt64(UInt32(u)) << 32 | UInt64(UInt32(it))]
                    else {
                        problem = .input(
                            file: file.name, line: lineNo,
                            message: "user \(user), item \(item) is not in data set '\(d.name)'")
                        return nil
                    }
                    return p
                }
                switch layout {
                case .adjacency:
                    AdjacencyLoader.splitBlanks(b, line, into: &fields)
                    guard let first = fields.first else { return }
                    let user = decodeText(b, first), u = d.userIDs.index(of: user)
                    for f in fields.dropFirst() {
                        guard let p = position(user, u, f) else { return }
                        out.append((p, lineNo))
                    }
                case .pairs:
                    // Fields end at tab, comma, colon or space; the first two are user and item.
                    @inline(__always) func isSeparator(_ c: UInt8) -> Bool { c == 9 || c == 32 || c == 44 || c == 58 }
                    fields.removeAll(keepingCapacity: true)
                    var i = line.lowerBound
                    while fields.count < 2 && i < line.upperBound {
                        while i < line.upperBound && isSeparator(b[i]) { i += 1 }
                        let s = i
                        while i < line.upperBound && !isSeparator(b[i]) { i += 1 }
                        if i > s { fields.append(s..<i) }
                    }
                    guard fields.count == 2 else {
                        problem = .input(file: file.name, line: lineNo, message: "expected user and item fields");
                        return
                    }
                    let user = decodeText(b, fields[0])
                    guard let p = position(user, d.userIDs.index(of: user), fields[1]) else { return }
                    out.append((p, lineNo))
                }
            }
        }
        if let problem { throw problem }
        return out
    }
}
