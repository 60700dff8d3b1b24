import ArgumentParser
import RecbenchReport
import RecbenchRunner

struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Combine the run folders of shards (recbench run --shard i/n) into one run.",
        discussion: HelpText.reflow(
            """
            Writes results/<experiment>/<run-id>/ with the same outputs as running the whole plan on
            one machine (timing columns aside). Refuses folders of a different plan, experiment file
            or data, and a set of folders that misses a trial or holds one twice.
            """))

    @Argument(help: "The shards' run folders.") var folders: [String]
    @Option(
        help: ArgumentHelp(
            "Folder for results (default: the experiment's outputs.directory, else results).", valueName: "dir"))
    var output: String?
    @Flag(help: "No table.") var quiet = false

    func run() throws {
        let result = try ExperimentRun.merge(folders, outputRoot: output)
        if !quiet { print(Writers.console(result), terminator: "") }
        print("merged \(folders.count) folder(s), \(result.trials.count) trials: \(result.directory)")
    }
}
