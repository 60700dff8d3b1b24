import Foundation
import RecbenchCore
import RecbenchData
import RecbenchConfig

/// What `validate` can know about a file's data before the run, without reading any of it: that
/// every data file, fold file and registry folder is there, with the files its loader reads.
/// Each problem is FILE:LINE: field: message, at the field that names the missing thing.
public enum Preflight {
    public static func check(_ spec: ExperimentSpec, data: DataEnvironment) -> [SpecIssue] {
        var issues = [SpecIssue]()
        func report(_ field: String, _ message: String) { issues += spec.issue(field, message).issues }
        func resolve(_ path: String) -> String {
            path.hasPrefix("/") ? path : (data.baseDirectory as NSString).appendingPathComponent(path)
        }
        func missing(_ path: String) -> String? {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
                return "\(path): file not found"
            }
            return isDir.boolValue ? "\(path): is a folder, not a data file" : nil
        }
        for (i, ds) in spec.datasets.enumerated() {
            let at = "datasets[\(i)]"
            var directory: String?
            switch ds.source {
            case .synthetic: continue
            case let .file(path, _):
                if let m = missing(resolve(path)) { report(at + ".file", m); continue }
                directory = PathText.folder(of: resolve(path))
            case let .folds(declared, _):
                for f in 1...(declared.folds ?? 1) {
                    let files = [("base", declared.base), ("validation", declared.validation), ("test", declared.test)]
                    for (key, pattern) in files {
                        guard let pattern else { continue }
                        if let m = missing(resolve(pattern.replacingOccurrences(of: "{fold}", with: String(f)))) {
                            report("\(at).split.\(key)", m)
                        }
                    }
                }
                continue
            case let .registry(name, explicit):
                let field = at + (explicit == nil ? ".name" : ".path")
                guard let registry = data.registry else {
                    report(
                        at + ".name",
                        "no data-set registry was found to look up \"\(name)\" "
                            + "(give --registry or set "
                            + "$RECBENCH_REGISTRY), or give \"file\" or \"split\"")
                    continue
                }
                guard let entry = registry.entry(named: name) else { continue }  // the loader has said so
                do {
                    directory = try registry.resolve(
                        name, explicitPath: explicit.map(resolve),
                        environment: data.environment, cacheDirectory: data.cacheDirectory)
                } catch { report(field, "\(error)"); continue }
                if let file = DatasetRegistry.missingFiles(entry, directory: directory!).first {
                    report(
                        field,
                        "data set \"\(name)\": \(directory!) has no \(file), "
                            + "which format \"\(entry.format)\" reads")
                    continue
                }
            }
            // Split files named by the split (or the registry's declaration), beside the data.
            if case let .predefined(base, test, validation, folds) = spec.split, let directory {
                for f in 1...folds {
                    for (key, pattern) in [("base", base), ("validation", validation), ("test", test)] {
                        guard let pattern else { continue }
                        let name = pattern.replacingOccurrences(of: "{fold}", with: String(f))
                        if let m = missing((directory as NSString).appendingPathComponent(name)) {
                            report("split.\(key)", "data set \"\(ds.label)\": \(m)")
                        }
                    }
                }
            }
        }
        return issues
    }
}
