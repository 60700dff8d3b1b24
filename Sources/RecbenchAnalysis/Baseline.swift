import Foundation
import RecbenchCore
import RecbenchEval
import RecbenchConfig
import RecbenchRunner

/// A stored reference result that later runs are checked against (`recbench baseline save` /
/// `recbench check`). Holds per-metric means and fold values, the data and split fingerprints,
/// per-metric tolerances and, optionally, per-user values so a drop can be tested for significance.
public struct BaselineFile: Codable, Sendable, Equatable {
    public var format = 1
    public var experiment: String
    public var runID: String
    public var configHash: String
    /// How tolerances are read; kept in the file so whoever edits it knows.
    public var note: String
    /// A drop counts only when the paired test's p-value over (fold, user) is below this (where per-user values exist).
    public var significanceLevel: Double
    /// That test. Absent in files written before the choice existed, which used Wilcoxon.
    public var test: SignificanceTest?
    /// The test a check applies: the file's, or Wilcoxon for files that predate the field.
    public var effectiveTest: SignificanceTest { test ?? .wilcoxon }
    public var datasets: [DatasetEntry]
    /// Per metric label; metrics not listed use `defaultTolerance`.
    public var tolerances: [String: Tolerance]
    public var defaultTolerance: Tolerance
    public var results: [Entry]
    /// Evaluated users per (data set, fold), which per-user values in `results` follow.
    public var users: [UserList]?

    public struct DatasetEntry: Codable, Sendable, Equatable {
        public var label: String
        public var dataFingerprint: String
        public var splitFingerprint: String
        public var folds: Int
    }

    /// Allowed drop: the larger of `absolute` and `relative` × |baseline mean| (each optional).
    public struct Tolerance: Codable, Sendable, Equatable {
        public var absolute: Double?
        public var relative: Double?
        public init(absolute: Double? = nil, relative: Double? = nil) {
            self.absolute = absolute; self.relative = relative
        }
        public func allowedDrop(from mean: Double) -> Double { max(absolute ?? 0, (relative ?? 0) * abs(mean)) }
    }

    public struct Entry: Codable, Sendable, Equatable {
        public var dataset: String
        public var configuration: String
        public var metric: String
        public var higherIsBetter: Bool
        public var mean: Double
        public var folds: [Double]
        /// Per fold, aligned with `users` of that (data set, fold).
        public var perUser: [[Double]]?
    }

    public struct UserList: Codable, Sendable, Equatable {
        public var dataset: String
        public var fold: Int
        public var users: [String]
    }
}

/// What `recbench check` found for one (data set, configuration, metric).
public struct CheckFinding: Sendable, Equatable {
    public var dataset: String
    public var configuration: String
    public var metric: String
    public var baselineMean: Double
    public var currentMean: Double
    /// Positive = worse than the baseline (respecting the metric's direction).
    public var drop: Double
    public var allowedDrop: Double
    /// The paired test's p over (fold, user) pairs; nil where per-user values are missing on either side.
    public var p: Double?
    public var test: SignificanceTest
    public var regressed: Bool

    public var line: String {
        var s =
            "\(dataset) \(configuration) \(metric): \(TextFormat.fixed(baselineMean)) → \(TextFormat.fixed(currentMean)) "
        s += "(drop \(String(format: "%.4f", drop)), tolerance \(String(format: "%.4f", allowedDrop))"
        s += p.map { ", \(test.rawValue) p \(ComparisonTable.pRelation($0)))" } ?? ", no per-user values)"
        return s
    }
}

public struct CheckReport: Sendable {
    public var findings: [CheckFinding]
    /// Changes of the tied-with-the-best groups (where the baseline compares several configurations).
    public var groupChanges: [GroupChange] = []
    /// Set when the run cannot be compared with the baseline (different data, splits or missing results).
    public var mismatch: [String]
    public var regressions: [CheckFinding] { findings.filter(\.regressed) }
    public var groupRegressions: [GroupChange] { groupChanges.filter(\.regressed) }
    /// 0 = no regression, 1 = regression, 2 = mismatched data, splits or results.
    public var exitCode: Int32 { !mismatch.isEmpty ? 2 : regressions.isEmpty && groupRegressions.isEmpty ? 0 : 1 }

    public func summary() -> String {
        if !mismatch.isEmpty { return mismatch.map { "mismatch: " + $0 }.joined(separator: "\n") + "\n" }
        var out = ""
        for f in regressions { out += "REGRESSION " + f.line + "\n" }
        for g in groupRegressions { out += "REGRESSION " + g.line + "\n" }
        for g in groupChanges where !g.regressed { out += "note: " + g.line + "\n" }
        let ok = findings.count - regressions.count
        out +=
            regressions.isEmpty
            ? "ok: \(findings.count) metric values within tolerance of the baseline\n"
            : "\(regressions.count) regression(s); \(ok) metric value(s) within tolerance\n"
        if !groupRegressions.isEmpty {
            out += "\(groupRegressions.count) configuration(s) no longer tied with the best\n"
        }
        return out
    }
}

public enum Baseline {
    public static let note =
        "A metric regresses when it moves in its worse direction by more than max(absolute, relative * |baseline mean|) "
        + "AND, where per-user values exist, the paired test named by `test` (t, randomization or wilcoxon; "
        + "files without it used wilcoxon) over (fold, user) gives p < significanceLevel. Where several "
        + "configurations have per-user values, a configuration that was tied with the best of a metric (not "
        + "significantly worse after Holm) and no longer is, is a regression too. tolerances override "
        + "defaultTolerance per metric label. Results are deterministic on one machine; tolerances absorb "
        + "floating-point differences between machines and BLAS builds."

    /// Six significant digits for means and folds; four for per-user values (only the significance test reads them).
    static func rounded(_ x: Double) -> Double { x.isFinite ? Double(String(format: "%.6g", x))! : x }
    package static func roundedPerUser(_ x: Double) -> Double { x.isFinite ? Double(String(format: "%.4g", x))! : x }

    public static func make(
        from r: RunResult, perUser: Bool = true,
        defaultTolerance: BaselineFile.Tolerance = .init(absolute: 0.001, relative: 0.02),
        tolerances: [String: BaselineFile.Tolerance] = [:], significanceLevel: Double = 0.05,
        test: SignificanceTest = .default
    ) -> BaselineFile {
        var entries = [BaselineFile.Entry](), users = [BaselineFile.UserList]()
        for d in r.datasets {
            for c in r.plan.configurations {
                let ts = r.trials(dataset: d.label, configuration: c.label)
                guard let first = ts.first else { continue }
                for (m, metric) in first.metricLabels.enumerated() {
                    let folds = ts.map { $0.values[m] }
                    let hasPerUser = perUser && ts.allSatisfy { $0.perUser[m] != nil }
                    entries.append(
                        .init(
                            dataset: d.label, configuration: c.label, metric: metric,
                            higherIsBetter: MetricCatalog.higherIsBetter(metric),
                            mean: rounded(folds.reduce(0, +) / Double(folds.count)), folds: folds.map(rounded),
                            perUser: hasPerUser ? ts.map { $0.perUser[m]!.map(roundedPerUser) } : nil))
                }
            }
            if perUser {
                // Every configuration evaluates the same users of a fold; store them once.
                for f in 1...max(1, d.folds) {
                    if let t = r.trials.first(where: { $0.dataset == d.label && $0.fold == f }) {
                        users.append(.init(dataset: d.label, fold: f, users: t.users))
                    }
                }
            }
        }
        return BaselineFile(
            experiment: r.spec.name, runID: r.runID, configHash: r.spec.configHash, note: note,
            significanceLevel: significanceLevel, test: test,
            datasets: r.datasets.map {
                .init(
                    label: $0.label, dataFingerprint: $0.dataFingerprint, splitFingerprint: $0.splitFingerprint,
                    folds: $0.folds)
            },
            tolerances: tolerances, defaultTolerance: defaultTolerance, results: entries, users: perUser ? users : nil)
    }

    public static func encode(_ b: BaselineFile) throws -> String {
        let enc = JSONCoding.encoder(pretty: true)
        var text = String(decoding: try enc.encode(b), as: UTF8.self)
        // Pretty printing puts every number of a per-user array on its own line; fold them back.
        text = foldNumberArrays(text)
        return text + "\n"
    }

    /// Joins arrays that hold only numbers (or "nan") onto one line.
    static func foldNumberArrays(_ s: String) -> String {
        let num = #"(?:-?[0-9][0-9.eE+-]*|"nan"|"inf"|"-inf")"#
        let regex = try! NSRegularExpression(pattern: #"\[\s*"# + num + #"(?:\s*,\s*"# + num + #")*\s*\]"#)
        let ns = s as NSString
        var out = "", last = 0
        for m in regex.matches(in: s, range: NSRange(location: 0, length: ns.length)) {
            out += ns.substring(with: NSRange(location: last, length: m.range.location - last))
            out += ns.substring(with: m.range).components(separatedBy: .whitespacesAndNewlines).filter { !$0.isEmpty }
                .joined(separator: " ")
                .replacingOccurrences(of: "[ ", with: "[").replacingOccurrences(of: " ]", with: "]")
            last = m.range.location + m.range.length
        }
        out += ns.substring(from: last)
        return out
    }

    public static func load(path: String) throws -> BaselineFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RecbenchError.io(path, "cannot read the baseline file")
        }
        let dec = JSONCoding.decoder()
        do { return try dec.decode(BaselineFile.self, from: data) } catch {
            throw RecbenchError.io(path, "not a baseline file (\(error))")
        }
    }

    /// Compares a run with a baseline: every (data set, configuration, metric) of the baseline must
    /// be in the run, on identical data and splits. `test` overrides the file's test.
    public static func check(_ r: RunResult, against b: BaselineFile, test: SignificanceTest? = nil) -> CheckReport {
        let test = test ?? b.effectiveTest
        var mismatch = [String]()
        for d in b.datasets {
            guard let e = r.datasets.first(where: { $0.label == d.label }) else {
                mismatch.append("the run has no data set \"\(d.label)\""); continue
            }
            if e.dataFingerprint != d.dataFingerprint {
                mismatch.append(
                    "data set \"\(d.label)\": the data differ from the baseline's (fingerprint \(e.dataFingerprint.prefix(12))… vs \(d.dataFingerprint.prefix(12))…)"
                )
            }
            if e.splitFingerprint != d.splitFingerprint {
                mismatch.append(
                    "data set \"\(d.label)\": the split differs from the baseline's (fingerprint \(e.splitFingerprint.prefix(12))… vs \(d.splitFingerprint.prefix(12))…)"
                )
            }
        }
        var findings = [CheckFinding]()
        for entry in b.results {
            let ts = r.trials(dataset: entry.dataset, configuration: entry.configuration)
            guard !ts.isEmpty, let m = ts[0].metricLabels.firstIndex(of: entry.metric), ts.count == entry.folds.count
            else {
                mismatch.append(
                    "the run has no \(entry.metric) for \(entry.configuration) on \(entry.dataset) over \(entry.folds.count) fold(s)"
                )
                continue
            }
            let current = ts.map { $0.values[m] }.reduce(0, +) / Double(ts.count)
            let drop = entry.higherIsBetter ? entry.mean - current : current - entry.mean
            let allowed = (b.tolerances[entry.metric] ?? b.defaultTolerance).allowedDrop(from: entry.mean)
            var p: Double?
            if let base = entry.perUser, let lists = b.users, ts.allSatisfy({ $0.perUser[m] != nil }) {
                var xs = [Double](), ys = [Double]()
                for (f, t) in ts.enumerated() {
                    guard let list = lists.first(where: { $0.dataset == entry.dataset && $0.fold == t.fold }),
                        f < base.count
                    else { continue }
                    UserPairing.append(users: list.users, base[f], users: t.users, t.perUser[m]!, to: &xs, &ys)
                }
                if !xs.isEmpty {
                    let stream = "\(b.runID)|\(entry.dataset)|\(entry.configuration)|\(entry.metric)"
                    p = pValue(ys.indices.map { ys[$0] - xs[$0] }, test: test, seed: stream)
                }
            }
            let regressed = drop > allowed && (p.map { $0 < b.significanceLevel } ?? true)
            findings.append(
                CheckFinding(
                    dataset: entry.dataset, configuration: entry.configuration,
                    metric: entry.metric, baselineMean: entry.mean, currentMean: current,
                    drop: drop, allowedDrop: allowed, p: p, test: test, regressed: regressed))
        }
        let groups = mismatch.isEmpty ? groupChanges(r, against: b, test: test) : []
        return CheckReport(findings: findings, groupChanges: groups, mismatch: mismatch)
    }

    /// Two-sided p of the paired differences under `test`; the randomization test's stream is
    /// seeded from the baseline, so a check is repeatable.
    static func pValue(_ d: [Double], test: SignificanceTest, seed: String) -> Double {
        let zero = [Double](repeating: 0, count: d.count)
        switch test {
        case .t: return Statistics.pairedTTest(d, zero).p
        case .wilcoxon: return Statistics.wilcoxonSignedRank(d, zero).p
        case .randomization:
            var rng = RandomSource(seed: 0, stream: "check|" + seed)
            return Statistics.randomizationTest(differences: d, seed: rng.next()).p
        }
    }
}
