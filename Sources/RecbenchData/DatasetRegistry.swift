import Foundation
import RecbenchCore

/// One entry of datasets/*.json.
public struct DatasetEntry: Codable, Sendable, Equatable {
    public static let formats = ["ml-100k", "movielens-dat", "movielens-csv", "delimited", "adjacency"]

    public var name: String
    public var description: String
    /// "ml-100k" | "movielens-dat" | "movielens-csv" | "delimited" | "adjacency"
    public var format: String
    /// Zip archive to download; "" when the data cannot be downloaded (users place their own copy).
    public var url: String
    /// Folder inside the zip that holds the files.
    public var archiveRoot: String
    /// File name → SHA-256 (lower-case hex); "" = no checksum recorded yet.
    public var files: [String: String]
    public var licence: String
    public var citation: String?
    /// For format "delimited": which file and how it is laid out.
    public var dataFile: String?
    public var delimited: DelimitedFormat?
    /// For format "adjacency": the files read, merged in this order.
    public var dataFiles: [String]?
    /// For format "adjacency": each line lists the user's items oldest first (sequence data).
    public var ordered: Bool?
    /// The data set's own predefined split (file names in its folder), which an experiment's
    /// `{"method": "predefined"}` without file names uses.
    public var split: DeclaredSplit?

    public init(
        name: String, description: String, format: String, url: String, archiveRoot: String,
        files: [String: String], licence: String, citation: String? = nil,
        dataFile: String? = nil, delimited: DelimitedFormat? = nil, dataFiles: [String]? = nil,
        ordered: Bool? = nil, split: DeclaredSplit? = nil
    ) {
        self.name = name; self.description = description; self.format = format; self.url = url
        self.archiveRoot = archiveRoot; self.files = files; self.licence = licence; self.citation = citation
        self.dataFile = dataFile; self.delimited = delimited; self.dataFiles = dataFiles; self.ordered = ordered
        self.split = split
    }
}

/// A registry entry's predefined split: training, optional validation and test files, with
/// `{fold}` standing for 1...folds when there are several.
public struct DeclaredSplit: Codable, Sendable, Equatable {
    public var base: String
    public var validation: String?
    public var test: String
    public var folds: Int?
    public init(base: String, validation: String? = nil, test: String, folds: Int? = nil) {
        self.base = base; self.validation = validation; self.test = test; self.folds = folds
    }
}

/// Result of checking one file against the registry.
public struct FileCheck: Sendable, Equatable {
    public let file: String
    /// "" when the registry records no checksum for this file.
    public let expected: String
    /// nil = file missing.
    public let actual: String?
    public let ok: Bool

    /// One line for the console: "OK", "MISSING", "MISMATCH …" or "no checksum recorded".
    public var status: String {
        guard let actual else { return "MISSING" }
        if expected.isEmpty { return "no checksum recorded (actual \(actual))" }
        return ok ? "OK" : "MISMATCH expected \(expected), got \(actual)"
    }
}

public struct DatasetRegistry: Sendable {
    public var entries: [DatasetEntry]

    /// Reads every datasets/*.json (sorted by file name). Errors name the file and what is wrong.
    public init(directory: String) throws {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: directory) else {
            throw RecbenchError.io(directory, "cannot list the dataset registry directory")
        }
        var entries: [DatasetEntry] = []
        var seen: [String: String] = [:]
        for file in names.filter({ $0.hasSuffix(".json") }).sorted() {
            let path = (directory as NSString).appendingPathComponent(file)
            guard let data = fm.contents(atPath: path) else { throw RecbenchError.io(path, "cannot read") }
            let entry: DatasetEntry
            do { entry = try JSONDecoder().decode(DatasetEntry.self, from: data) } catch let e as DecodingError {
                throw RecbenchError.input(file: file, line: 0, message: Self.describe(e))
            } catch {
                throw RecbenchError.input(file: file, line: 0, message: "invalid JSON: \(error.localizedDescription)")
            }
            guard !entry.name.isEmpty else {
                throw RecbenchError.input(file: file, line: 0, message: "\"name\" must not be empty")
            }
            guard DatasetEntry.formats.contains(entry.format) else {
                throw RecbenchError.input(
                    file: file, line: 0,
                    message:
                        "unknown format \"\(entry.format)\" (expected one of \(DatasetEntry.formats.joined(separator: ", ")))"
                )
            }
            if entry.format == "delimited" && (entry.dataFile == nil || entry.delimited == nil) {
                throw RecbenchError.input(
                    file: file, line: 0, message: "format \"delimited\" needs \"dataFile\" and \"delimited\"")
            }
            if entry.format == "adjacency" && (entry.dataFiles ?? []).isEmpty {
                throw RecbenchError.input(
                    file: file, line: 0, message: "format \"adjacency\" needs a non-empty \"dataFiles\" list")
            }
            if let split = entry.split, let folds = split.folds, folds < 1 {
                throw RecbenchError.input(file: file, line: 0, message: "split.folds must be at least 1, got \(folds)")
            }
            for (f, sum) in entry.files where !sum.isEmpty && !(sum.count == 64 && sum.allSatisfy(\.isHexDigit)) {
                throw RecbenchError.input(
                    file: file, line: 0, message: "files[\"\(f)\"]: \"\(sum)\" is not a SHA-256 hex digest")
            }
            if let other = seen[entry.name] {
                throw RecbenchError.input(
                    file: file, line: 0, message: "data set \"\(entry.name)\" is already defined in \(other)")
            }
            seen[entry.name] = file
            entries.append(entry)
        }
        self.entries = entries
    }

    public init(entries: [DatasetEntry]) { self.entries = entries }

    public func entry(named name: String) -> DatasetEntry? { entries.first { $0.name == name } }

    static func describe(_ e: DecodingError) -> String {
        func path(_ c: [CodingKey]) -> String {
            c.isEmpty ? "top level" : c.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch e {
        case let .keyNotFound(key, ctx): return "missing key \"\(key.stringValue)\" at \(path(ctx.codingPath))"
        case let .typeMismatch(type, ctx): return "\(path(ctx.codingPath)): expected \(type)"
        case let .valueNotFound(type, ctx): return "\(path(ctx.codingPath)): expected \(type), found null"
        case let .dataCorrupted(ctx):
            let underlying = (ctx.underlyingError as NSError?)?.userInfo["NSDebugDescription"] as? String
            return "invalid JSON at \(path(ctx.codingPath)): \(underlying ?? ctx.debugDescription)"
        @unknown default: return "\(e)"
        }
    }

    // MARK: resolution

    /// Where a data set's folder was found.
    public enum Origin: String, Sendable {
        case explicitPath = "explicit path", environment = "$RECBENCH_DATA_DIR", cache
    }

    /// Resolution order: explicit path → $RECBENCH_DATA_DIR/<name> → cacheDirectory/<name>.
    /// An explicit path is final (it is not silently replaced by another copy). The error lists every place tried.
    public func locate(
        _ name: String, explicitPath: String?, environment: [String: String],
        cacheDirectory: String
    ) throws -> (path: String, origin: Origin) {
        var tried: [String] = []
        func usable(_ p: String) -> Bool {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: p, isDirectory: &isDir), isDir.boolValue else { return false }
            // A folder counts only if it holds the registered files (any one is enough to go on; verify says more).
            guard let e = entry(named: name), !e.files.isEmpty else { return true }
            return e.files.keys.contains {
                FileManager.default.fileExists(atPath: (p as NSString).appendingPathComponent($0))
            }
        }
        if let explicitPath {
            if usable(explicitPath) { return (explicitPath, .explicitPath) }
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: explicitPath, isDirectory: &isDir), isDir.boolValue,
                let e = entry(named: name), let needed = Self.requiredFiles(e).first ?? e.files.keys.sorted().first
            {
                throw RecbenchError.invalid(
                    "data set \"\(name)\" not found at the explicit path \(explicitPath): it has none of "
                        + "the registry's files for \"\(name)\" (e.g. \(needed))")
            }
            throw RecbenchError.invalid("data set \"\(name)\" not found at the explicit path \(explicitPath)")
        }
        if let root = environment["RECBENCH_DATA_DIR"], !root.isEmpty {
            let p = (root as NSString).appendingPathComponent(name)
            if usable(p) { return (p, .environment) }
            tried.append("\(p) ($RECBENCH_DATA_DIR)")
        } else {
            tried.append("$RECBENCH_DATA_DIR (not set)")
        }
        let c = (cacheDirectory as NSString).appendingPathComponent(name)
        if usable(c) { return (c, .cache) }
        tried.append("\(c) (cache)")
        let hint = entry(named: name) != nil ? "; run `recbench datasets fetch \(name)`" : ""
        throw RecbenchError.invalid("data set \"\(name)\" not found; tried: \(tried.joined(separator: ", "))\(hint)")
    }

    public func resolve(_ name: String, explicitPath: String?, environment: [String: String], cacheDirectory: String)
        throws -> String
    {
        try locate(name, explicitPath: explicitPath, environment: environment, cacheDirectory: cacheDirectory).path
    }

    // MARK: checksums

    /// One check per registered file, sorted by name. A file without a recorded checksum is never OK.
    public static func verify(_ entry: DatasetEntry, directory: String) -> [FileCheck] {
        entry.files.keys.sorted().map { file in
            let expected = entry.files[file]!.lowercased()
            let actual = try? FileDigests.shared.digest(path: (directory as NSString).appendingPathComponent(file))
            return FileCheck(
                file: file, expected: expected, actual: actual, ok: !expected.isEmpty && actual == expected)
        }
    }

    // MARK: fetch

    /// Downloads `entry.url` with curl into a temporary folder inside the cache, unzips it, verifies
    /// every registered file and only then renames `archiveRoot` to cacheDirectory/<name>. Any
    /// mismatch or missing file deletes the download and throws. Files without a recorded checksum
    /// are accepted with a warning through `progress` (showing the checksum to record).
    /// Returns the final folder. An existing folder that already verifies is returned as is.
    public static func fetch(_ entry: DatasetEntry, into cacheDirectory: String, progress: (String) -> Void) throws
        -> String
    {
        let fm = FileManager.default
        guard !entry.url.isEmpty else {
            throw RecbenchError.invalid(
                "\(entry.name): the registry has no download for this data set; place its files "
                    + "in $RECBENCH_DATA_DIR/\(entry.name) (see the entry's description)")
        }
        let final = (cacheDirectory as NSString).appendingPathComponent(entry.name)
        if fm.fileExists(atPath: final) {
            let checks = verify(entry, directory: final)
            if !checks.isEmpty && checks.allSatisfy(\.ok) {
                progress("\(entry.name): already present and verified at \(final)")
                return final
            }
        }
        do { try fm.createDirectory(atPath: cacheDirectory, withIntermediateDirectories: true) } catch {
            throw RecbenchError.io(cacheDirectory, "cannot create cache directory: \(error.localizedDescription)")
        }
        let work = (cacheDirectory as NSString).appendingPathComponent(".fetch-\(entry.name)-\(getpid())")
        try? fm.removeItem(atPath: work)
        try fm.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? fm.removeItem(atPath: work) }
        let zip = (work as NSString).appendingPathComponent("archive.zip")
        let extracted = (work as NSString).appendingPathComponent("extracted")

        progress("\(entry.name): downloading \(entry.url)")
        try run("curl", ["-fsSL", "--retry", "2", "-o", zip, entry.url], what: "download of \(entry.url)")
        progress("\(entry.name): unpacking")
        try run("unzip", ["-q", "-o", zip, "-d", extracted], what: "unzip of \(entry.url)")
        let root =
            entry.archiveRoot.isEmpty ? extracted : (extracted as NSString).appendingPathComponent(entry.archiveRoot)
        guard fm.fileExists(atPath: root) else {
            throw RecbenchError.invalid("\(entry.name): archive has no folder \"\(entry.archiveRoot)\"")
        }
        let checks = verify(entry, directory: root)
        let bad = checks.filter { $0.actual == nil || (!$0.expected.isEmpty && !$0.ok) }
        guard bad.isEmpty else {
            throw RecbenchError.invalid(
                "\(entry.name): refusing the download, "
                    + bad.map { "\($0.file): \($0.status)" }.joined(separator: "; "))
        }
        for c in checks where c.expected.isEmpty {
            progress("\(entry.name): warning: \(c.file) has no checksum recorded; its SHA-256 is \(c.actual ?? "?")")
        }
        // Atomic within the cache's file system: the folder appears complete or not at all.
        if fm.fileExists(atPath: final) {
            let old = (work as NSString).appendingPathComponent("previous")
            try fm.moveItem(atPath: final, toPath: old)
        }
        if rename(root, final) != 0 {
            throw RecbenchError.io(
                final, "cannot move the verified data into place: \(String(cString: strerror(errno)))")
        }
        progress("\(entry.name): \(checks.count) files verified, stored at \(final)")
        return final
    }

    static func run(_ tool: String, _ arguments: [String], what: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [tool] + arguments
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        do { try p.run() } catch { throw RecbenchError.io(tool, "cannot start: \(error.localizedDescription)") }
        let message = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            let text = String(decoding: message, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            let missing = p.terminationStatus == 127 ? " (is \(tool) installed?)" : ""
            throw RecbenchError.invalid(
                "\(what) failed with status \(p.terminationStatus)\(missing): \(text.split(separator: "\n").first ?? "")"
            )
        }
    }

    // MARK: loading

    /// The files `load` cannot do without, by format (side files such as u.item are optional).
    public static func requiredFiles(_ entry: DatasetEntry) -> [String] {
        switch entry.format {
        case "ml-100k": return ["u.data"]
        case "movielens-dat": return ["ratings.dat"]
        case "movielens-csv": return ["ratings.csv"]
        case "delimited": return entry.dataFile.map { [$0] } ?? []
        case "adjacency": return entry.dataFiles ?? []
        default: return []
        }
    }

    /// The required files missing from `directory`, in the order `requiredFiles` gives.
    public static func missingFiles(_ entry: DatasetEntry, directory: String) -> [String] {
        requiredFiles(entry).filter {
            !FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent($0))
        }
    }

    /// Loads a resolved folder according to the entry's format; the Dataset is named after the entry.
    /// A file read whose SHA-256 differs from the one the entry records is refused.
    public static func load(_ entry: DatasetEntry, directory: String, policy: MalformedLinePolicy) throws -> (
        Dataset, LoadReport
    ) {
        if let file = missingFiles(entry, directory: directory).first {
            throw RecbenchError.invalid(
                "data set \"\(entry.name)\": \(directory) has no \(file), which format "
                    + "\"\(entry.format)\" reads")
        }
        var result: (Dataset, LoadReport)
        switch entry.format {
        case "ml-100k": result = try GroupLens.loadML100K(directory: directory, policy: policy)
        case "movielens-dat": result = try GroupLens.loadDat(directory: directory, policy: policy)
        case "movielens-csv": result = try GroupLens.loadCSV(directory: directory, policy: policy)
        case "delimited":
            guard let file = entry.dataFile, let format = entry.delimited else {
                throw RecbenchError.invalid("\(entry.name): format \"delimited\" needs \"dataFile\" and \"delimited\"")
            }
            result = try DelimitedLoader.load(
                path: (directory as NSString).appendingPathComponent(file), format: format,
                name: entry.name, policy: policy)
        case "adjacency":
            guard let files = entry.dataFiles, !files.isEmpty else {
                throw RecbenchError.invalid("\(entry.name): format \"adjacency\" needs \"dataFiles\"")
            }
            result = try AdjacencyLoader.load(
                paths: files.map { (directory as NSString).appendingPathComponent($0) },
                name: entry.name, ordered: entry.ordered ?? false, policy: policy)
        default: throw RecbenchError.unsupported("\(entry.name): unknown format \"\(entry.format)\"")
        }
        for source in result.0.sources {
            let file = (source.path as NSString).lastPathComponent
            guard let expected = entry.files[file]?.lowercased(), !expected.isEmpty, expected != source.sha256 else {
                continue
            }
            throw RecbenchError.input(
                file: source.path, line: 0,
                message: "SHA-256 \(source.sha256) differs from the registry's "
                    + "\(expected) for \(entry.name); refusing a changed or corrupt file")
        }
        result.0.name = entry.name
        return result
    }
}
