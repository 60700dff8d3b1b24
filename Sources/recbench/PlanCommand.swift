import ArgumentParser
import RecbenchCore
import RecbenchRunner

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Print the numbered trials of an experiment file and each trial's estimated peak memory.",
        discussion: """
            Estimates (model + evaluation) come from each data set's shape: synthetic sets from their \
            config, other data sets after loading, filtering and splitting them (fold 1's training part). \
            `recbench run` refuses a trial whose estimate exceeds the machine's memory and caps --jobs so \
            concurrent trials fit.
            """)
    @Argument(help: "The experiment file.") var file: String
    @OptionGroup var data: DataOptions
    @Option(help: "Also show which of n shards runs each trial (recbench run --shard i/n).") var shards: Int?
    func validate() throws {
        if let shards, shards < 1 { throw ValidationError("--shards must be positive") }
    }

    func run() throws {
        let spec = try loadSpec(file, data)
        let plan = Plan(spec: spec)
        print(plan.describe(shards: shards))
        let env = DataEnvironment(
            registry: try data.loadRegistry(near: file), cacheDirectory: data.cacheDirectory,
            baseDirectory: PathText.folder(of: file))
        print(PlanMemory.describe(plan, shapes: PlanMemory.shapes(spec, data: env)))
    }
}
