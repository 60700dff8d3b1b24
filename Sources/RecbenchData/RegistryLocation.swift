import Foundation
import RecbenchCore

/// Where the data-set registry (a folder of `*.json` entries) is looked for, so a binary run from any
/// working directory, or installed outside its clone, still finds it.
///
/// Order: `--registry`, `$RECBENCH_REGISTRY` (explicit choices beat every default), `./datasets`,
/// `datasets/` beside the experiment file's folder, the installed copy beside the binary
/// (`<bin>/../share/recbench/datasets`, then `<bin>/datasets`), and last the clone the binary was built in.
public struct RegistryLocation: Sendable {
    public var flag: String?
    public var environment: [String: String]
    /// The folder `./datasets` is taken from; nil = the process's working directory.
    public var workingDirectory: String?
    /// The experiment file being read, if any.
    public var experimentFile: String?
    /// The running binary's path (symbolic links are resolved, so a link on PATH finds the installed copy).
    public var executable: String?
    /// The `datasets/` folder of the source tree this code was compiled from.
    public var buildClone: String?

    public init(
        flag: String?, environment: [String: String], experimentFile: String?,
        workingDirectory: String? = nil, executable: String? = RegistryLocation.currentExecutable,
        buildClone: String? = RegistryLocation.compiledClone
    ) {
        self.flag = flag; self.environment = environment; self.experimentFile = experimentFile
        self.workingDirectory = workingDirectory
        self.executable = executable; self.buildClone = buildClone
    }

    /// Every candidate folder, in the order they are tried (existing or not).
    public var candidates: [String] {
        var list = [flag, environment["RECBENCH_REGISTRY"], workingDirectory.map { $0 + "/datasets" } ?? "datasets"]
            .compactMap { $0 }
        if let file = experimentFile {
            // PathText, not NSString: Foundation's deletingLastPathComponent traps on one-letter paths on Linux.
            let parent = PathText.parent(PathText.parent(file))
            list.append((parent.isEmpty ? "." : parent) + "/datasets")
        }
        if let executable {
            let resolved = URL(fileURLWithPath: executable).resolvingSymlinksInPath().path
            let bin = PathText.folder(of: resolved)
            list += [bin + "/../share/recbench/datasets", bin + "/datasets"]
        }
        if let buildClone { list.append(buildClone) }
        return list
    }

    /// The first candidate that is an existing folder; a `--registry` that does not exist is not replaced by a default.
    public func resolve() -> String? {
        if let flag { return Self.isFolder(flag) ? flag : nil }
        return candidates.first(where: Self.isFolder)
    }

    static func isFolder(_ path: String) -> Bool {
        var dir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &dir) && dir.boolValue
    }

    public static var currentExecutable: String? { Bundle.main.executablePath ?? CommandLine.arguments.first }

    /// …/Sources/RecbenchData/RegistryLocation.swift → …/datasets.
    public static let compiledClone: String? = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("datasets").path
}
