import Foundation
import RecbenchCore

/// A data set given by its predefined split files alone (u1.base / u1.test … made elsewhere): the
/// union of every fold's base, validation and test files is the data set, and each file's lines
/// are that part of its fold. One format applies to every file.
public enum FoldFilesLoader {
    /// `folds`: the files of each fold, in fold order. An interaction listed by several files is
    /// one interaction of the data set (its first listing: fold 1's base, validation, test, then
    /// fold 2 …); listed by two parts of the same fold it is an error naming both files.
    public static func load(
        folds: [PredefinedPair], format: DelimitedFormat, name: String,
        policy: MalformedLinePolicy = .fail
    ) throws -> (Dataset, LoadReport, FoldFileLabels) {
        guard !folds.isEmpty else { throw RecbenchError.invalid("fold files: no folds given") }
        var report = LoadReport()
        var acc = RatingsAccumulator()
        acc.lineNumbers = []
        // Rows read from each file: (fold, part, file name, rows); part 0 train, 1 test, 2 validation.
        var reads: [(fold: Int, part: Int8, file: String, rows: Range<Int>)] = []
        for (f, pair) in folds.enumerated() {
            let parts: [(String?, Int8)] = [(pair.base, 0), (pair.validation, 2), (pair.test, 1)]
            for case let (path?, part) in parts {
                let start = acc.users.count
                try DelimitedLoader.read(path: path, format: format, into: &acc, policy: policy, report: &report)
                reads.append((f, part, (path as NSString).lastPathComponent, start..<acc.users.count))
            }
        }
        let lines = acc.lineNumbers ?? []
        let all = try acc.build(name: name) { _, _ in (FeatureTable(), FeatureTable()) }

        // The union: each (user, item) once, at its first row.
        var first = [UInt64: Int](minimumCapacity: all.count / max(1, folds.count))
        var keep: [Int] = [], unionPosition = [Int](repeating: -1, count: all.count)
        for k in 0..<all.count {
            let key = pairKey(all.users[k], all.items[k])
            if let u = first[key] {
                unionPosition[k] = u
            } else {
                first[key] = keep.count; unionPosition[k] = keep.count; keep.append(k)
            }
        }
        var labels = [[Int8]](repeating: [Int8](repeating: -1, count: keep.count), count: folds.count)
        var fileOf = [[String]](repeating: ["", "", ""], count: folds.count)
        for r in reads {
            fileOf[r.fold][Int(r.part)] = r.file
            for k in r.rows {
                let u = unionPosition[k], was = labels[r.fold][u]
                if was >= 0 && was != r.part {
                    let user = all.userIDs.id(at: all.users[k]), item = all.itemIDs.id(at: all.items[k])
                    let other = fileOf[r.fold][Int(was)]
                    throw RecbenchError.input(
                        file: r.file, line: Int(lines[k]),
                        message: "user \(user), item \(item) is also in \(other)")
                }
                labels[r.fold][u] = r.part
            }
        }
        let union = all.subset(keep)
        return (union, report, FoldFileLabels(labels: labels, union: union))
    }

    static func pairKey(_ u: Int32, _ i: Int32) -> UInt64 { UInt64(UInt32(u)) << 32 | UInt64(UInt32(i)) }
}

/// Which part of each fold every interaction of a fold-files data set is in, kept by external
/// IDs so the folds follow the data set through filters (an interaction filtered out leaves
/// every fold; the rest keep their parts).
public struct FoldFileLabels: Sendable {
    /// labels[f][p]: 0 train, 1 test, 2 validation, -1 not in fold f; p indexes `union`.
    let labels: [[Int8]]
    let union: Dataset

    public var foldCount: Int { labels.count }

    /// The folds over `d`, which is the union or a filtered subset of it.
    public func folds(for d: Dataset) -> [Fold] {
        var position = [UInt64: Int](minimumCapacity: union.count)
        for p in 0..<union.count { position[FoldFilesLoader.pairKey(union.users[p], union.items[p])] = p }
        let userMap = d.userIDs.externalIDs.map { union.userIDs.index(of: $0) ?? -1 }
        let itemMap = d.itemIDs.externalIDs.map { union.itemIDs.index(of: $0) ?? -1 }
        let toUnion = (0..<d.count).map { p in
            position[FoldFilesLoader.pairKey(userMap[Int(d.users[p])], itemMap[Int(d.items[p])])] ?? -1
        }
        return labels.enumerated().map { f, label in
            Splitter.byLabel(d.count, f) { p in toUnion[p] < 0 ? -1 : Int(label[toUnion[p]]) }
        }
    }
}
