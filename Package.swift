// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Recbench",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "recbench", targets: ["recbench"]),
        .library(name: "RecbenchReport", targets: ["RecbenchReport"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // SHA-256 of data files and cache entries (maintained and vectorised; see RecbenchCore/SHA256.swift).
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3")
    ],
    targets: [
        // C libraries, each seen by exactly one Swift wrapper target (their CBLAS enums clash).
        .systemLibrary(
            name: "CBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"]), .brew(["openblas"])]),
        .systemLibrary(name: "CGSL", providers: [.apt(["libgsl-dev"]), .brew(["gsl"])]),
        // zlib, for gzip-compressed exports (RecbenchCore/Gzip.swift).
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]),
        // Header-only compiler intrinsics (no library to link).
        .systemLibrary(name: "CIntrinsics"),

        .target(
            name: "RecbenchCore",
            dependencies: ["CBLAS", "CZlib", "CIntrinsics", .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "RecbenchGSL", dependencies: ["CGSL"]),
        .target(name: "RecbenchData", dependencies: ["RecbenchCore"]),
        // The commit the binary is built from, generated before every build (scripts/build-info.sh).
        .target(name: "RecbenchBuildInfo", plugins: ["BuildInfoPlugin"]),
        .plugin(name: "BuildInfoPlugin", capability: .buildTool()),
        .target(name: "RecbenchAlgorithms", dependencies: ["RecbenchCore", "RecbenchGSL", "CIntrinsics"]),
        .target(name: "RecbenchNN", dependencies: ["RecbenchCore", "RecbenchAlgorithms", "CIntrinsics"]),
        .target(
            name: "RecbenchEval", dependencies: ["RecbenchCore", "RecbenchAlgorithms", "RecbenchGSL", "CIntrinsics"]),
        // Speed measurements behind `recbench bench` (the scoring core, one algorithm's fit).
        .target(
            name: "RecbenchBench", dependencies: ["RecbenchCore", "RecbenchData", "RecbenchAlgorithms", "RecbenchEval"]),
        // The experiment layer, one target per job: the file language, running trials, reading runs
        // back and comparing them, and writing a run's outputs.
        .target(
            name: "RecbenchConfig",
            dependencies: [
                "RecbenchCore", "RecbenchData", "RecbenchAlgorithms", "RecbenchNN", "RecbenchEval"
            ]),
        .target(
            name: "RecbenchRunner",
            dependencies: [
                "RecbenchConfig", "RecbenchCore", "RecbenchData", "RecbenchAlgorithms", "RecbenchEval", "RecbenchGSL"
            ]),
        .target(
            name: "RecbenchAnalysis", dependencies: ["RecbenchRunner", "RecbenchConfig", "RecbenchCore", "RecbenchEval"]
        ),
        .target(
            name: "RecbenchReport",
            dependencies: [
                "RecbenchBuildInfo", "RecbenchAnalysis", "RecbenchRunner", "RecbenchConfig", "RecbenchCore",
                "RecbenchEval", "RecbenchGSL"
            ]),
        .executableTarget(
            name: "recbench",
            dependencies: [
                "RecbenchReport", "RecbenchAnalysis", "RecbenchRunner", "RecbenchConfig", "RecbenchBench",
                "RecbenchCore", "RecbenchData", "RecbenchAlgorithms", "RecbenchEval", "RecbenchGSL",
                .product(name: "ArgumentParser", package: "swift-argument-parser")
            ]),
        // Seeded mutation fuzzer of the experiment-file validator and the data loaders (`make fuzz`).
        .executableTarget(
            name: "recbench-fuzz",
            dependencies: [
                "RecbenchConfig", "RecbenchRunner", "RecbenchData", "RecbenchCore"
            ]),

        // Scratch paths under one per-process folder removed at exit (Tests/RecbenchTestSupport/Scratch.swift).
        .target(name: "RecbenchTestSupport", path: "Tests/RecbenchTestSupport"),
        .testTarget(name: "RecbenchCoreTests", dependencies: ["RecbenchCore", "RecbenchGSL", "RecbenchTestSupport"]),
        .testTarget(name: "RecbenchDataTests", dependencies: ["RecbenchData", "RecbenchTestSupport"]),
        .testTarget(
            name: "RecbenchAlgorithmsTests",
            dependencies: ["RecbenchAlgorithms", "RecbenchData", "RecbenchEval", "RecbenchConfig"]),
        .testTarget(name: "RecbenchNNTests", dependencies: ["RecbenchNN", "RecbenchData", "RecbenchEval"]),
        .testTarget(name: "RecbenchEvalTests", dependencies: ["RecbenchEval", "RecbenchAlgorithms", "RecbenchCore"]),
        .testTarget(
            name: "RecbenchConformanceTests",
            dependencies: [
                "RecbenchConfig", "RecbenchAlgorithms", "RecbenchData", "RecbenchEval", "RecbenchCore"
            ]),
        .testTarget(
            name: "RecbenchExperimentTests",
            dependencies: [
                "RecbenchConfig", "RecbenchRunner", "RecbenchAnalysis", "RecbenchReport", "RecbenchCore",
                "RecbenchEval", "RecbenchTestSupport"
            ]),
        // The commands in-process: arguments checked by validate(), errors thrown with their exit status.
        .testTarget(
            name: "RecbenchCLITests",
            dependencies: [
                "recbench", "RecbenchTestSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")
            ])
    ]
)
