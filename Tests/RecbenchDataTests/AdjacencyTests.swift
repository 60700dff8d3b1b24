import Foundation
import RecbenchCore
import Testing
import RecbenchData

@Suite struct AdjacencyLoaderTests {
    @Test func linesBecomeInteractionsInLineOrder() throws {
        // User 7 lists items out of numeric order; user 3 has no items; blanks and tabs are tolerated.
        let dir = try makeTempDir(["a.txt": text("7 30 10 20\n3\n12  10\t40 \n"), "b.txt": text("7 50\n")])
        let (d, report) = try AdjacencyLoader.load(paths: [dir + "/a.txt", dir + "/b.txt"], name: "adj", ordered: true)
        #expect(report.skippedLines == 0)
        #expect(d.userIDs.externalIDs == ["3", "7", "12"] && d.itemIDs.externalIDs == ["10", "20", "30", "40", "50"])
        #expect(rows(d) == ["7 30 1.0 0", "7 10 1.0 1", "7 20 1.0 2", "12 10 1.0 3", "12 40 1.0 4", "7 50 1.0 5"])
        #expect(d.sources.map { ($0.path as NSString).lastPathComponent } == ["a.txt", "b.txt"])
        // History follows line order (then the later file), not item IDs.
        let m = d.matrix()
        #expect(m.history(of: 1).map { d.itemIDs.id(at: $0) } == ["30", "10", "20", "50"])
        #expect(m.items(of: 0).isEmpty)
        // Leave-last-out holds out each user's last listed item and the one before it.
        let f = try Splitter.folds(d, method: .leaveLastOut(validation: true), seed: 0)[0]
        #expect(f.test == [5] && f.validation == [2] && f.train == [0, 1, 3, 4])  // user 12 has too few to test
    }

    @Test func unorderedFilesHaveNoTimestamps() throws {
        let dir = try makeTempDir(["a.txt": text("1 2 3\n")])
        let (d, _) = try AdjacencyLoader.load(paths: [dir + "/a.txt"], name: "adj", ordered: false)
        #expect(d.timestamps == nil && d.count == 2)
        #expect(
            thrownMessage { _ = try Splitter.folds(d, method: .leaveLastOut(validation: false), seed: 0) }
                == "leave-last-out split needs timestamps, but data set 'adj' has none")
    }

    @Test func malformedLinesNameFileAndLine() throws {
        let dir = try makeTempDir([
            "bad.txt": text("1 2 3\n2 4 x5\n"), "user.txt": text("1 2\nu 3\n"),
            "neg.txt": text("1 2\n2 -3\n"), "twice.txt": text("1 2\n2 3\n\n1 4\n")
        ])
        #expect(
            thrownMessage { _ = try AdjacencyLoader.load(paths: [dir + "/bad.txt"], name: "a", ordered: false) }
                == "bad.txt:2: item 2 'x5' is not a non-negative integer")
        #expect(
            thrownMessage { _ = try AdjacencyLoader.load(paths: [dir + "/user.txt"], name: "a", ordered: false) }
                == "user.txt:2: user 'u' is not a non-negative integer")
        #expect(
            thrownMessage { _ = try AdjacencyLoader.load(paths: [dir + "/neg.txt"], name: "a", ordered: false) }
                == "neg.txt:2: item 1 '-3' is not a non-negative integer")
        #expect(
            thrownMessage { _ = try AdjacencyLoader.load(paths: [dir + "/twice.txt"], name: "a", ordered: false) }
                == "twice.txt:4: user 1 already has line 1 in this file")
        #expect(
            thrownMessage { _ = try AdjacencyLoader.load(paths: [dir + "/none.txt"], name: "a", ordered: false) }
                == "\(dir)/none.txt: file not found")
        // Under .skip the bad line goes whole (no ID of it registered) and is reported.
        let (d, report) = try AdjacencyLoader.load(
            paths: [dir + "/bad.txt", dir + "/twice.txt"], name: "a", ordered: false,
            policy: .skip)
        #expect(report.skippedLines == 2)
        #expect(
            report.problems == [
                "bad.txt:2: item 2 'x5' is not a non-negative integer",
                "twice.txt:4: user 1 already has line 1 in this file"
            ])
        #expect(d.itemIDs.externalIDs == ["2", "3"] && d.count == 4)  // item 4 and 5 came only from skipped lines
    }

    @Test func predefinedTrainValidTestInAdjacencyLayout() throws {
        let files = ["train.txt": "1 10 11 12\n2 10\n", "valid.txt": "1 13\n2\n", "test.txt": "1 14\n2 11 12\n"]
        let dir = try makeTempDir(files.mapValues(text))
        let (d, _) = try AdjacencyLoader.load(
            paths: ["train.txt", "valid.txt", "test.txt"].map { dir + "/" + $0 },
            name: "adj", ordered: false)
        #expect(d.count == 8)
        let pair = PredefinedPair(
            base: dir + "/train.txt", test: dir + "/test.txt", validation: dir + "/valid.txt",
            layout: .adjacency)
        let f = try Splitter.folds(d, method: .predefined(files: [pair]), seed: 0)
        #expect(f == [Fold(index: 0, train: [0, 1, 2, 3], test: [5, 6, 7], validation: [4])])
        // Without the validation file its interactions are in no part.
        let noValidation = PredefinedPair(base: dir + "/train.txt", test: dir + "/test.txt", layout: .adjacency)
        #expect(try Splitter.folds(d, method: .predefined(files: [noValidation]), seed: 0)[0].validation.isEmpty)

        let bad = try makeTempDir(["v.txt": text("1 13 10\n"), "t.txt": text("2 11\n1 13\n"), "x.txt": text("1 99\n")])
        #expect(
            thrownMessage {
                _ = try Splitter.folds(
                    d,
                    method: .predefined(files: [
                        PredefinedPair(
                            base: dir + "/train.txt", test: dir + "/test.txt", validation: bad + "/v.txt",
                            layout: .adjacency)
                    ]), seed: 0)
            }
                == "v.txt:1: interaction also in train.txt")
        #expect(
            thrownMessage {
                _ = try Splitter.folds(
                    d,
                    method: .predefined(files: [
                        PredefinedPair(
                            base: dir + "/train.txt", test: bad + "/t.txt", validation: dir + "/valid.txt",
                            layout: .adjacency)
                    ]), seed: 0)
            }
                == "t.txt:2: interaction also in valid.txt")
        #expect(
            thrownMessage {
                _ = try Splitter.folds(
                    d,
                    method: .predefined(files: [
                        PredefinedPair(
                            base: dir + "/train.txt", test: bad + "/x.txt", layout: .adjacency)
                    ]), seed: 0)
            }
                == "x.txt:1: user 1, item 99 is not in data set 'adj'")
    }

    static func entry(files: [String: String], ordered: Bool = false) -> DatasetEntry {
        DatasetEntry(
            name: "toy-adj", description: "", format: "adjacency", url: "", archiveRoot: "", files: files,
            licence: "", dataFiles: files.keys.sorted(), ordered: ordered)
    }

    @Test func registryLoadsAdjacencyAndRefusesChecksumMismatch() throws {
        let a = "1 2 3\n", b = "2 3\n"
        let dir = try makeTempDir(["a.txt": text(a), "b.txt": text(b)])
        let good = Self.entry(files: ["a.txt": SHA256Hasher.hex(a), "b.txt": SHA256Hasher.hex(b)], ordered: true)
        let (d, _) = try DatasetRegistry.load(good, directory: dir, policy: .fail)
        #expect(d.name == "toy-adj" && d.count == 3 && d.timestamps == [0, 1, 2])
        let wrong = Self.entry(files: ["a.txt": SHA256Hasher.hex(a), "b.txt": SHA256Hasher.hex("2 4\n")])
        #expect(
            thrownMessage { _ = try DatasetRegistry.load(wrong, directory: dir, policy: .fail) }
                == "\(dir)/b.txt: SHA-256 \(SHA256Hasher.hex(b)) differs from the registry's \(SHA256Hasher.hex("2 4\n")) "
                + "for toy-adj; refusing a changed or corrupt file")
        // No download recorded: fetch says where to put the files instead of running curl.
        #expect(
            thrownMessage { _ = try DatasetRegistry.fetch(good, into: dir + "/cache", progress: { _ in }) }?
                .hasPrefix("toy-adj: the registry has no download for this data set") == true)
    }

    @Test func registryEntryNeedsDataFiles() throws {
        let json =
            #"{"name": "x", "description": "d", "format": "adjacency", "url": "", "archiveRoot": "", "files": {}, "licence": "l"}"#
        let dir = try makeTempDir(["x.json": text(json)])
        #expect(
            thrownMessage { _ = try DatasetRegistry(directory: dir) }
                == "x.json: format \"adjacency\" needs a non-empty \"dataFiles\" list")
    }
}

/// The published-benchmark data sets under $RECBENCH_DATA_DIR, else ../shared/datasets beside the package.
let publishedDataRoot: String? = {
    var candidates: [String] = []
    if let env = ProcessInfo.processInfo.environment["RECBENCH_DATA_DIR"], !env.isEmpty { candidates.append(env) }
    candidates.append((packageRoot as NSString).deletingLastPathComponent + "/shared/datasets")
    return candidates.first { FileManager.default.fileExists(atPath: $0 + "/gowalla-lightgcn/train.txt") }
}()

func publishedDataPresent(_ name: String) -> Bool {
    guard let root = publishedDataRoot,
        let entry = try? DatasetRegistry(directory: packageRoot + "/datasets").entry(named: name)
    else { return false }
    return entry.files.keys.allSatisfy { FileManager.default.fileExists(atPath: "\(root)/\(name)/\($0)") }
}

/// Counts from ../shared/datasets/README.md's table.
@Suite struct PublishedDataSetTests {
    func load(_ name: String) throws -> (Dataset, DatasetEntry, String) {
        let entry = try #require(try DatasetRegistry(directory: packageRoot + "/datasets").entry(named: name))
        let dir = try #require(publishedDataRoot) + "/" + name
        for c in DatasetRegistry.verify(entry, directory: dir) { #expect(c.ok, "\(c.file): \(c.status)") }
        let (d, report) = try DatasetRegistry.load(entry, directory: dir, policy: .fail)
        #expect(report.skippedLines == 0)
        return (d, entry, dir)
    }

    func predefined(_ d: Dataset, _ entry: DatasetEntry, _ dir: String) throws -> Fold {
        let s = try #require(entry.split)
        return try Splitter.folds(
            d,
            method: .predefined(files: [
                PredefinedPair(
                    base: dir + "/" + s.base, test: dir + "/" + s.test, validation: s.validation.map { dir + "/" + $0 },
                    layout: .adjacency)
            ]), seed: 0)[0]
    }

    @Test(.enabled(if: publishedDataPresent("gowalla-lightgcn"), "gowalla-lightgcn not found: skipped"))
    func gowalla() throws {
        let (d, entry, dir) = try load("gowalla-lightgcn")
        #expect(d.userCount == 29_858 && d.itemCount == 40_981 && d.count == 719_081 + 91_047 + 217_242)
        #expect(d.timestamps == nil)
        let f = try predefined(d, entry, dir)
        #expect(f.train.count == 719_081 && f.validation.count == 91_047 && f.test.count == 217_242)
    }

    @Test(.enabled(if: publishedDataPresent("ml-1m-pos"), "ml-1m-pos not found: skipped"))
    func ml1mPositive() throws {
        let (d, entry, dir) = try load("ml-1m-pos")
        #expect(d.userCount == 6_039 && d.itemCount == 3_628 && d.count == 836_478)
        #expect(d.count == 590_733 + 80_897 + 164_848)
        let f = try predefined(d, entry, dir)
        #expect(f.train.count == 590_733 && f.validation.count == 80_897 && f.test.count == 164_848)
    }

    @Test(.enabled(if: publishedDataPresent("amazon-beauty"), "amazon-beauty not found: skipped"))
    func beauty() throws {
        let (d, _, _) = try load("amazon-beauty")
        #expect(d.userCount == 22_363 && d.itemCount == 12_101 && d.count == 198_502)
        // 5-core: every user has ≥ 3 items, so leave-last-out tests and validates each user once.
        let f = try Splitter.folds(d, method: .leaveLastOut(validation: true), seed: 0)[0]
        #expect(f.test.count == 22_363 && f.validation.count == 22_363)
        // The first user's line is "1 1 2 3 4 5": test is its last item, validation the one before.
        let u = try #require(d.userIDs.index(of: "1"))
        let mine = f.test.filter { d.users[Int($0)] == u } + f.validation.filter { d.users[Int($0)] == u }
        #expect(mine.map { d.itemIDs.id(at: d.items[Int($0)]) } == ["5", "4"])
    }

    @Test(.enabled(if: publishedDataPresent("amazon-toys"), "amazon-toys not found: skipped"))
    func toys() throws {
        let (d, _, _) = try load("amazon-toys")
        #expect(d.userCount == 19_412 && d.itemCount == 11_924 && d.count == 167_597)
        #expect(d.timestamps?.count == d.count)
    }
}
