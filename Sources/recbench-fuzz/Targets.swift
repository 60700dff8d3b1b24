import Foundation
#if canImport(Glibc)
import Glibc
#endif
import RecbenchCore
import RecbenchData
import RecbenchConfig
import RecbenchRunner

/// What one input is fed to. Each target may throw (a refusal is the expected outcome for most
/// inputs) but must never trap; it returns a short signature of what happened, which the fuzzer
/// uses as a crude coverage signal (inputs with an outcome not seen before join the pool).
protocol FuzzTarget {
    var name: String { get }
    /// Starting inputs.
    func seeds() -> [[UInt8]]
    /// Tokens worth splicing in.
    var dictionary: [String] { get }
    func run(_ input: [UInt8]) -> String
}

/// An error's message with the input-specific parts (numbers, quoted text) masked, so one
/// signature stands for one kind of outcome.
func signature(_ error: Error) -> String {
    var out = "", quoted = false, lastDigit = false
    for c in String(describing: error).prefix(300) {
        if c == "\"" || c == "'" { quoted.toggle(); if quoted { out.append("…") }; continue }
        if quoted { continue }
        if c.isNumber { if !lastDigit { out.append("#") }; lastDigit = true; continue }
        lastDigit = false
        out.append(c)
    }
    return out
}

/// The experiment-file parser and validator, then the plan and every configuration's model.
struct ExperimentTarget: FuzzTarget {
    let name = "experiment"
    let registry: DatasetRegistry?
    let seedFolders: [String]

    func seeds() -> [[UInt8]] {
        var out: [[UInt8]] = []
        for dir in seedFolders {
            let files = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
            for f in files where f.hasSuffix(".json") {
                guard let d = FileManager.default.contents(atPath: dir + "/" + f), d.count < 1 << 16 else { continue }
                out.append(Array(d))
            }
        }
        return out.isEmpty ? [Array("{}".utf8)] : out
    }

    var dictionary: [String] {
        var words = [
            "{", "}", "[", "]", "\"", ",", ":", "null", "true", "false", "-1", "0", "1", "2", "1e308", "-0",
            "0.5", "9007199254740993", "99999999999999999999", "1e-320", "\\u0000", "\\ud800", "@", "@[", "@0",
            "@1000", "@1001", "{fold}", "ranking", "rating", "sequential", "kfold", "predefined",
            "leave_last_out", "temporal", "user_crossfold", "cold_users", "holdout", "user_kfold", "synthetic",
            "file", "path", "format", "filters", "users", "items", "interactions", "factors", "seed", "k",
            "folds", "base", "test", "cutoff", "negatives", "protocol", "sampled", "outputs", "directory",
            "params", "label", "name", "metrics", "split", "datasets", "algorithms", "threads", "jobs", "task",
            "min_rating", "binarize", "malformed", "skip", "header", "separator", "ndcg@10", "recall@[5,10]",
            "auc", "rmse", "coverage@10"
        ]
        for d in AlgorithmRegistry.all { words.append(d.name); words += d.parameters.map(\.name) }
        return words.map { "\"\($0)\"" } + words
    }

    func run(_ input: [UInt8]) -> String {
        guard let text = String(validating: input, as: UTF8.self) else { return "not utf8" }
        do {
            let spec = try ExperimentLoader(registry: registry).load(text: text, file: "fuzz.json")
            let plan = Plan(spec: spec)
            _ = plan.describe(shards: 3)
            _ = plan.fingerprint
            for c in plan.configurations.prefix(50) { _ = c.descriptor.make(c.values) }
            for t in plan.trials.prefix(50) { _ = TrialCache.key(t, spec: spec, datasetKey: "d", foldKey: "f") }
            return "ok \(spec.task.rawValue) \(plan.configurations.count > 1)"
        } catch { return signature(error) }
    }
}

/// The data loaders (delimited files in several layouts, MovieLens 100K, .dat and .csv folders,
/// adjacency lists, predefined split files in both layouts), then filtering and splitting of
/// whatever loaded. The first byte picks the loader and its format; NUL bytes separate files.
struct DataTarget: FuzzTarget {
    let name = "data"
    let folder: String
    let seedFolders: [String]

    func seeds() -> [[UInt8]] {
        var out: [[UInt8]] = []
        for dir in seedFolders {
            for f in ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
            where f.hasSuffix(".tsv") || f.hasSuffix(".csv") || f.hasSuffix(".test") || f.hasSuffix(".base") {
                if let d = FileManager.default.contents(atPath: dir + "/" + f), d.count < 1 << 14 {
                    for mode in 0..<8 { out.append([UInt8(mode)] + Array(d)) }
                }
            }
        }
        let ml = "1\t1\t5\t881250949\n1\t2\t3\t881250950\n2\t1\t4\t881250951\n2\t3\t1\t881250952\n3\t2\t2\t881250953\n"
        let user = "1|24|M|technician|85711\n2|53|F|other|94043\n"
        let item = "1|Toy Story (1995)|01-Jan-1995||http://x|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0\n"
        let dat = "1::1::5::978300760\n1::2::3::978302109\n2::1::4::978301968\n"
        let csv =
            "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,2,4.0,964981247\n"
            + "2,1,3.5,1445714835\n"
        let movies =
            "movieId,title,genres\n1,\"Toy Story, The (1995)\",Adventure|Animation\n"
            + "2,Jumanji (1995),Adventure\n"
        out.append([0] + Array(ml.utf8))
        out.append([1] + Array((ml + "\0" + user + "\0" + item).utf8))
        let users = "1::F::1::10::48067\n", titles = "1::Toy Story (1995)::Animation|Comedy\n"
        out.append([2] + Array((dat + "\0" + users + "\0" + titles).utf8))
        out.append([3] + Array((csv + "\0" + movies).utf8))
        out.append([4] + Array(("1\t1\n1\t2\n" + "\0" + "2\t1\n").utf8))
        out.append([6] + Array(("0 1 2 3\n1 2\n2 0 3\n" + "\0" + "0 4\n1 3\n").utf8))
        out.append([7] + Array(("1 1 2\n2 1\n" + "\0" + "1 3\n" + "\0" + "2 2\n").utf8))
        return out
    }

    var dictionary: [String] {
        [
            "\t", ",", "::", "|", "\n", "\r\n", "\"", "\"\"", "\0", "-", "1e999", "nan", "inf", "-0",
            "99999999999999999999", "9223372036854775807", "-9223372036854775808", "1.5", "(1995)", "01-Jan-1995",
            "userId", "movieId", "rating", "timestamp", "title", "genres", "(no genres listed)", "\u{FEFF}", "\u{E9}"
        ]
    }

    /// Plain open/write/close: Foundation's createFile writes atomically (a temporary file and a
    /// rename per call), which made file writing most of an execution's time.
    func write(_ name: String, _ bytes: ArraySlice<UInt8>) {
        let fd = open(folder + "/" + name, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { return }
        _ = bytes.withUnsafeBytes { systemWrite(fd, $0.baseAddress, $0.count) }
        close(fd)
    }

    func run(_ input: [UInt8]) -> String {
        guard let mode = input.first else { return "empty" }
        let body = input.dropFirst()
        let parts = body.split(separator: 0, maxSplits: 3, omittingEmptySubsequences: false)
        for f in [
            "data.txt", "u.data", "u.user", "u.item", "u.genre", "ratings.dat", "users.dat", "movies.dat",
            "ratings.csv", "movies.csv", "base", "test", "validation", "train.txt", "test.txt"
        ] {
            unlink(folder + "/" + f)
        }
        do {
            let d: Dataset
            switch mode % 8 {
            case 0, 5:
                write("data.txt", body)
                let pick = Int(mode / 8)
                let seps = ["\t", ",", "::", ";", " ", "|"]
                let header = pick & 1 == 1
                let format = DelimitedFormat(
                    separator: seps[pick % seps.count], header: header,
                    user: header && pick & 2 == 2 ? "user" : "0", item: "1",
                    rating: pick & 4 == 4 ? nil : "2", timestamp: pick & 8 == 8 ? nil : "3",
                    quoted: pick & 16 == 16 ? true : nil)
                d = try DelimitedLoader.load(
                    path: folder + "/data.txt", format: format, name: "fuzz",
                    policy: mode % 8 == 5 ? .skip : .fail
                ).0
            case 1:
                for (name, part) in zip(["u.data", "u.user", "u.item", "u.genre"], parts) { write(name, part) }
                d = try GroupLens.loadML100K(directory: folder, policy: mode & 64 == 0 ? .fail : .skip).0
            case 2:
                for (name, part) in zip(["ratings.dat", "users.dat", "movies.dat"], parts) { write(name, part) }
                d = try GroupLens.loadDat(directory: folder, policy: mode & 64 == 0 ? .fail : .skip).0
            case 3:
                for (name, part) in zip(["ratings.csv", "movies.csv"], parts) { write(name, part) }
                d = try GroupLens.loadCSV(directory: folder, policy: mode & 64 == 0 ? .fail : .skip).0
            case 6:
                for (name, part) in zip(["train.txt", "test.txt"], parts) { write(name, part) }
                let paths = ["train.txt", "test.txt"].prefix(max(1, min(2, parts.count))).map { folder + "/" + $0 }
                d = try AdjacencyLoader.load(
                    paths: paths, name: "fuzz", ordered: mode & 64 == 0,
                    policy: mode & 128 == 0 ? .fail : .skip
                ).0
            default:
                // Split files (pairs, or adjacency lists with a validation file) against a fixed small data set.
                write("base", parts.first ?? []); write("test", parts.count > 1 ? parts[1] : [])
                let adjacency = mode % 8 == 7
                if adjacency { write("validation", parts.count > 2 ? parts[2] : []) }
                let fixed = SyntheticData.generate(SyntheticConfig(users: 5, items: 4, interactions: 12, seed: 1))
                let pair = PredefinedPair(
                    base: folder + "/base", test: folder + "/test",
                    validation: adjacency ? folder + "/validation" : nil,
                    layout: adjacency ? .adjacency : .pairs)
                let folds = try Splitter.folds(fixed, method: .predefined(files: [pair]), seed: 1)
                return "split ok \(folds.count)"
            }
            var f = Filters.deduplicate(d, policy: .mean)
            f = Filters.kCore(f, minUserInteractions: 2, minItemInteractions: 1)
            var splits = 0
            let methods: [SplitMethod] = [
                .kFold(k: 2), .leaveLastOut(validation: true), .temporal(cutoff: nil, testFraction: 0.3, perUser: true),
                .userCrossfold(k: 2, testFraction: 0.5),
                .holdout(testFraction: 0.2, perUser: true, validationFraction: 0.1),
                .coldUsers(k: 2, maxTrain: 1)
            ]
            for method in methods {
                if let folds = try? Splitter.folds(f, method: method, seed: 3) {
                    splits += folds.count
                    for fold in folds { _ = f.matrix(positions: fold.train) }
                }
            }
            return "loaded \(mode % 8) \(d.count > 0) \(splits > 0)"
        } catch { return signature(error) }
    }
}

#if canImport(Glibc)
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
private let systemWrite = Darwin.write
#endif
