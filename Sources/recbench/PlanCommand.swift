import ArgumentParser
import RecbenchRunner

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan", abstract: "Print the numbered trials of an experiment file.")
    @Argument(help: "The experiment file.") var file: String
    @OptionGroup var data: DataOptions
    @Option(help: "Also show which of n shards runs each trial (recbench run --shard i/n).") var shards: Int?
    func validate() throws {
        if let shards, shards < 1 { throw ValidationError("--shards must be positive") }
    }

    func run() throws {
        print(Plan(spec: try loadSpec(file, data)).describe(shards: shards))
    }
}
