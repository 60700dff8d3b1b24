import Foundation
import RecbenchCore
import Testing
import RecbenchData

/// The real ML-100K: $RECBENCH_DATA_DIR/ml-100k, else ../shared/datasets/ml-100k beside the package.
let ml100kDirectory: String? = {
    var candidates: [String] = []
    if let env = ProcessInfo.processInfo.environment["RECBENCH_DATA_DIR"], !env.isEmpty {
        candidates.append(env + "/ml-100k")
    }
    candidates.append((packageRoot as NSString).deletingLastPathComponent + "/shared/datasets/ml-100k")
    return candidates.first { FileManager.default.fileExists(atPath: $0 + "/u.data") }
}()

@Suite(
    .enabled(
        if: ml100kDirectory != nil,
        "MovieLens 100K not found (../shared/datasets/ml-100k or $RECBENCH_DATA_DIR/ml-100k): real-data tests skipped"))
struct MovieLens100KTests {
    @Test func loadsTheRealData() throws {
        let dir = try #require(ml100kDirectory)
        let (d, report) = try GroupLens.loadML100K(directory: dir)
        #expect(report.skippedLines == 0)
        #expect(d.count == 100_000 && d.userCount == 943 && d.itemCount == 1682)
        #expect(d.userIDs.id(at: 0) == "1" && d.itemIDs.id(at: 1681) == "1682")
        #expect(d.values.reduce(0, +) == 352_986)  // mean rating 3.52986
        #expect(d.userFeatures["occupation"]?.columnNames.count == 21)
        #expect(d.userFeatures["gender"]?.matrix.nnz == 943)
        let genre = try #require(d.itemFeatures["genre"])
        #expect(genre.columnNames.first == "unknown" && genre.columnNames.count == 19)
        let entry = try #require(try DatasetRegistry(directory: packageRoot + "/datasets").entry(named: "ml-100k"))
        let sources = Dictionary(
            uniqueKeysWithValues: d.sources.map { (($0.path as NSString).lastPathComponent, $0.sha256) })
        for (file, sum) in sources { #expect(entry.files[file] == sum, "\(file)") }
    }

    @Test func registryChecksumsVerify() throws {
        let dir = try #require(ml100kDirectory)
        let entry = try #require(try DatasetRegistry(directory: packageRoot + "/datasets").entry(named: "ml-100k"))
        let checks = DatasetRegistry.verify(entry, directory: dir)
        #expect(checks.count == 21)
        for c in checks { #expect(c.ok, "\(c.file): \(c.status)") }
    }

    @Test func predefinedU1Split() throws {
        let dir = try #require(ml100kDirectory)
        let (d, _) = try GroupLens.loadML100K(directory: dir)
        let folds = try Splitter.folds(
            d,
            method: .predefined(
                files: (1...5).map {
                    PredefinedPair(base: "\(dir)/u\($0).base", test: "\(dir)/u\($0).test")
                }), seed: 0)
        #expect(folds.count == 5)
        #expect(folds[0].train.count == 80_000 && folds[0].test.count == 20_000)
        // u1…u5 tests partition the data.
        let tests = folds.flatMap(\.test)
        #expect(Set(tests).count == 100_000)
    }
}
