// swift-tools-version: 6.1
// Speed benchmarks, kept out of the root package so `make test` never builds them.
// Run from this folder: `swift package benchmark` (see README.md, "Benchmarks").
import PackageDescription

let package = Package(
    name: "RecbenchBenchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(name: "Recbench", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"])
    ],
    targets: [
        .executableTarget(
            name: "RecbenchBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "RecbenchExperiment", package: "Recbench")
            ],
            path: "Benchmarks/RecbenchBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ]
)
