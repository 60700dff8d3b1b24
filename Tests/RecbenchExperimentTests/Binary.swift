import Foundation

/// The built `recbench` binary: $RECBENCH_BIN, else beside the test bundle, else under .build*/debug.
func recbenchBinary() -> String? {
    let fm = FileManager.default
    var candidates = [ProcessInfo.processInfo.environment["RECBENCH_BIN"]].compactMap { $0 }
    let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    candidates += [exe.path + "/recbench", exe.deletingLastPathComponent().path + "/recbench"]
    if let builds = try? fm.contentsOfDirectory(atPath: packageRoot) {
        candidates += builds.filter { $0.hasPrefix(".build") }.sorted().flatMap {
            ["\(packageRoot)/\($0)/debug/recbench", "\(packageRoot)/\($0)/release/recbench"]
        }
    }
    return candidates.first { fm.isExecutableFile(atPath: $0) }
}
