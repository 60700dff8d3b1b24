import ArgumentParser
import Foundation
import RecbenchCore
import RecbenchData

struct Datasets: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List, inspect, verify, fetch and export registered data sets.",
        discussion: HelpText.reflow(
            """
            A data set's folder is found, in order: an explicit --path, $RECBENCH_DATA_DIR/<name>, \
            then the cache (.cache/datasets/<name>, or --cache / $RECBENCH_CACHE). `fetch` downloads \
            into the cache and refuses files whose SHA-256 differs from the registry entry. The registry         itself is the first of: --registry, $RECBENCH_REGISTRY, ./datasets, the copy `make install` puts         beside the binary (<bin>/../share/recbench/datasets), the clone the binary was built in.
            """),
        subcommands: [List.self, Info.self, Verify.self, Fetch.self, Export.self, Import.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the registry's data sets and where each is found.")
        @OptionGroup var data: DataOptions
        func run() throws {
            guard let registry = try data.loadRegistry() else {
                throw CLIError.usage("no registry folder found (give --registry or set RECBENCH_REGISTRY)")
            }
            for e in registry.entries {
                let place =
                    (try? registry.resolve(
                        e.name, explicitPath: nil, environment: ProcessInfo.processInfo.environment,
                        cacheDirectory: data.cacheDirectory)) ?? "not present (recbench datasets fetch \(e.name))"
                print(
                    "\(e.name.padding(toLength: 16, withPad: " ", startingAt: 0)) \(e.description)\n\(String(repeating: " ", count: 17))\(place)"
                )
            }
        }
    }

    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a registry entry and, when present, the data's size.")
        @Argument(help: "Data set name.") var name: String
        @Option(help: "Explicit folder.") var path: String?
        @OptionGroup var data: DataOptions
        func run() throws {
            let (registry, entry) = try lookup(name, data)
            let source =
                entry.url.isEmpty ? "no download (place the files in $RECBENCH_DATA_DIR/\(entry.name))" : entry.url
            print(
                "name:     \(entry.name)\nformat:   \(entry.format)\nsource:   \(source)\nlicence:  \(entry.licence)\nfiles:    \(entry.files.keys.sorted().joined(separator: ", "))"
            )
            guard
                let dir = try? registry.resolve(
                    name, explicitPath: path, environment: ProcessInfo.processInfo.environment,
                    cacheDirectory: data.cacheDirectory)
            else {
                print("folder:   not present (recbench datasets fetch \(name))"); return
            }
            print("folder:   \(dir)")
            let (d, report) = try DatasetRegistry.load(entry, directory: dir, policy: .skip)
            print(
                "users:    \(d.userCount)\nitems:    \(d.itemCount)\nratings:  \(d.count)  (density \(String(format: "%.4f", Double(d.count) / Double(max(1, d.userCount * d.itemCount)))))"
            )
            if !d.userFeatures.isEmpty {
                print("user features: \(d.userFeatures.groups.map(\.name).joined(separator: ", "))")
            }
            if !d.itemFeatures.isEmpty {
                print("item features: \(d.itemFeatures.groups.map(\.name).joined(separator: ", "))")
            }
            if report.skippedLines > 0 { print("malformed lines skipped: \(report.skippedLines)") }
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every file of a data set against the registry's SHA-256.",
            discussion: "Exit status 1 when a file is missing or differs.")
        @Argument(help: "Data set name.") var name: String
        @Option(help: "Explicit folder.") var path: String?
        @OptionGroup var data: DataOptions
        func run() throws {
            let (registry, entry) = try lookup(name, data)
            let dir: String
            do {
                dir = try registry.resolve(
                    name, explicitPath: path, environment: ProcessInfo.processInfo.environment,
                    cacheDirectory: data.cacheDirectory)
            } catch { throw CommandFailure(error, code: ExitStatus.failed) }
            let checks = DatasetRegistry.verify(entry, directory: dir)
            for c in checks {
                let state = c.ok ? "ok      " : c.actual == nil ? "MISSING " : "MISMATCH"
                print(
                    "\(state) \(c.file)" + (c.ok || c.actual == nil ? "" : "  expected \(c.expected), got \(c.actual!)")
                )
            }
            let bad = checks.filter { !$0.ok }.count
            print(
                bad == 0
                    ? "\(name): all \(checks.count) files verified in \(dir)"
                    : "\(name): \(bad) of \(checks.count) files failed in \(dir)")
            if bad > 0 { throw ExitCode(1) }
        }
    }

    struct Fetch: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download, extract and verify a data set into the cache.")
        @Argument(help: "Data set name.") var name: String
        @OptionGroup var data: DataOptions
        func run() throws {
            let (_, entry) = try lookup(name, data)
            do {
                let dir = try DatasetRegistry.fetch(entry, into: data.cacheDirectory) { print($0) }
                print("\(name): fetched and verified in \(dir)")
            } catch { throw CommandFailure(error, code: ExitStatus.failed) }
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a registered or synthetic data set as a plain TSV (user, item, rating, timestamp).",
            discussion:
                "For peers and other tools: `recbench datasets export ml-100k --output /tmp/ml100k.tsv`, or `recbench datasets export synthetic --users 100000 --items 50000 --interactions 10000000 --output big.tsv`. experiments/scale-20m.json's set: `--users 138493 --items 26744 --interactions 20000000 --factors 16 --seed 20 --taste-groups 64 --in-group-share 0.7`."
        )
        @Argument(help: "Data set name, or \"synthetic\".") var name: String
        @Option(help: "Output file.") var output: String
        @Option(help: "Explicit folder of a registered data set.") var path: String?
        @Option(help: "Synthetic: users.") var users = 1000
        @Option(help: "Synthetic: items.") var items = 500
        @Option(help: "Synthetic: interactions.") var interactions = 50000
        @Option(help: "Synthetic: seed.") var seed = 42
        @Option(help: "Synthetic: latent dimension of the generating model.") var factors = 8
        @Option(help: "Synthetic: Zipf exponent of item popularity.") var popularitySkew = 1.0
        @Option(help: "Synthetic: planted taste groups (0: none), as experiments/scale-20m.json's 64.")
        var tasteGroups = 0
        @Option(help: "Synthetic: share of a user's draws from the own group's items.") var inGroupShare = 0.8
        @OptionGroup var data: DataOptions
        func validate() throws {
            guard
                name != "synthetic"
                    || (users > 0 && items > 0 && interactions > 0 && seed >= 0
                        && interactions <= users.multipliedReportingOverflow(by: items).partialValue
                        && factors > 0 && popularitySkew >= 0 && tasteGroups >= 0 && (0...1).contains(inGroupShare))
            else {
                throw ValidationError(
                    "synthetic sizes and --factors must be positive, interactions ≤ users × items, "
                        + "--popularity-skew and --taste-groups ≥ 0, --in-group-share in [0, 1]")
            }
        }

        func run() throws {
            let dataset: Dataset
            if name == "synthetic" {
                var c = SyntheticConfig(
                    users: users, items: items, interactions: interactions, factors: factors,
                    popularitySkew: popularitySkew, seed: UInt64(seed), withFeatures: false)
                if tasteGroups > 0 { c.tasteGroups = tasteGroups; c.inGroupShare = inGroupShare }
                dataset = SyntheticData.generate(c)
            } else {
                let (registry, entry) = try lookup(name, data)
                let dir = try registry.resolve(
                    name, explicitPath: path, environment: ProcessInfo.processInfo.environment,
                    cacheDirectory: data.cacheDirectory)
                dataset = try DatasetRegistry.load(entry, directory: dir, policy: .fail).0
            }
            do { try DatasetExport.writeTSV(dataset, to: output) } catch {
                throw CommandFailure(error, code: ExitStatus.failed)
            }
            print("\(output): \(dataset.count) interactions, \(dataset.userCount) users, \(dataset.itemCount) items")
        }
    }
}

func lookup(_ name: String, _ data: DataOptions) throws -> (DatasetRegistry, DatasetEntry) {
    let registry: DatasetRegistry
    guard let r = try data.loadRegistry() else {
        throw CLIError.usage("no registry folder found (run from the project folder or give --registry)")
    }
    registry = r
    guard let entry = registry.entry(named: name) else {
        throw CLIError.usage(
            "no data set \"\(name)\" in the registry; known: \(registry.entries.map(\.name).joined(separator: ", "))")
    }
    return (registry, entry)
}
