import ArgumentParser
import Foundation
import RecbenchConfig
import RecbenchCore
import RecbenchRunner

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check experiment files against the schema without running them.",
        discussion: "Reports every problem as FILE:LINE: field.path: message and exits 2 when any file has one, "
            + "including data files, fold files and registry folders that are not there. "
            + "Warns (without failing) when a grid without \"search\" would pick its best point on test data.")

    @Argument(help: "Experiment files.") var files: [String]
    @OptionGroup var data: DataOptions

    func run() throws {
        var bad = false
        for file in files {
            do {
                let registry = try data.loadRegistry(near: file)
                let spec = try ExperimentLoader(registry: registry).load(path: file)
                // Data that is not there is knowable now, not only when the run reaches it.
                let env = DataEnvironment(
                    registry: registry, cacheDirectory: data.cacheDirectory,
                    baseDirectory: PathText.folder(of: file))
                let missing = Preflight.check(spec, data: env)
                if !missing.isEmpty { throw SpecErrors(issues: missing) }
                // Unbuffered, so the line precedes its warnings on a shared terminal.
                let n = Plan(spec: spec).trials.count
                FileHandle.standardOutput.write(Data("\(file): ok (\(n) trial\(n == 1 ? "" : "s"))\n".utf8))
                for w in spec.warnings { FileHandle.standardError.write(Data((w.description + "\n").utf8)) }
            } catch {
                bad = true
                FileHandle.standardError.write(Data(ExitStatus.lines(error).map { $0 + "\n" }.joined().utf8))
            }
        }
        if bad { throw ExitCode(ExitStatus.invalidInput) }
    }
}
