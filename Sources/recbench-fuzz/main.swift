import Foundation
import RecbenchCore
import RecbenchData
#if canImport(Glibc)
import Glibc
#endif

// recbench-fuzz: a seeded mutation fuzzer for the experiment-file parser and validator and for
// the data loaders (`make fuzz`; not part of CI).
//
//   recbench-fuzz experiment|data [--seconds N] [--seed S] [--crashes DIR]
//   recbench-fuzz experiment|data --replay FILE      (runs one saved input, to see its trap)
//
// The command supervises a worker process (the same binary with --worker) that runs inputs in a
// loop. A trap or fatal signal in the worker writes the input that caused it to DIR (default
// fuzz-crashes/<target>/) from a signal handler; an input that runs for over 10 s is saved as a
// hang. The supervisor restarts the worker after a crash and prints executions and crashes.

let arguments = CommandLine.arguments
func option(_ name: String) -> String? {
    arguments.firstIndex(of: name).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
}
guard arguments.count >= 2, ["experiment", "data"].contains(arguments[1]) else {
    let usage = "usage: recbench-fuzz experiment|data [--seconds N] [--seed S] [--crashes DIR] [--replay FILE]\n"
    FileHandle.standardError.write(Data(usage.utf8))
    exit(2)
}
let targetName = arguments[1]
let seconds = Double(option("--seconds") ?? "60") ?? 60
let seed = UInt64(option("--seed") ?? "1") ?? 1
let crashes = option("--crashes") ?? "fuzz-crashes/\(targetName)"
let root = option("--root") ?? FileManager.default.currentDirectoryPath

func makeTarget() -> FuzzTarget {
    if targetName == "experiment" {
        let registry = try? DatasetRegistry(directory: root + "/datasets")
        let seeds = ["/experiments", "/Tests/Corpus/experiments", "/Tests/Corpus/data", "/Tests/Corpus"]
            .map { root + $0 }
        return ExperimentTarget(registry: registry, seedFolders: seeds)
    }
    // In memory when the system has a tmpfs at /dev/shm: every execution writes its files.
    let scratch = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
    let folder = scratch + "/recbench-fuzz-\(getpid())"
    try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    var seeds = [root + "/Tests/Corpus/data"]
    for dir in (try? FileManager.default.contentsOfDirectory(atPath: root + "/Tests/Corpus/splits")) ?? [] {
        seeds.append(root + "/Tests/Corpus/splits/" + dir)
    }
    return DataTarget(folder: folder, seedFolders: seeds)
}

if let file = option("--replay") {
    // One saved input, in this process, with the runtime's own crash report.
    let input = Array(FileManager.default.contents(atPath: file) ?? Data())
    print(makeTarget().run(input))
    exit(0)
}
if arguments.contains("--worker") {
    Worker.run(target: makeTarget(), seconds: seconds, seed: seed, crashes: crashes)
} else {
    exit(Supervisor.run(seconds: seconds, seed: seed, crashes: crashes))
}
