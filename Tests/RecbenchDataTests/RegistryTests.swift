import Foundation
import RecbenchCore
import Testing
import RecbenchData

func toolInstalled(_ name: String) -> Bool {
    ["/usr/bin", "/bin", "/usr/local/bin"].contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(name)") }
}
let fetchToolsInstalled = toolInstalled("zip") && toolInstalled("unzip") && toolInstalled("curl")

/// The repository root (…/Tests/RecbenchDataTests/this file → up three levels).
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

@Suite struct RegistryTests {
    static func entryJSON(name: String = "toy", format: String = "ml-100k", files: String = "{}") -> String {
        """
        {"name": "\(name)", "description": "d", "format": "\(format)", "url": "file:///nowhere.zip",
         "archiveRoot": "toy", "files": \(files), "licence": "none"}
        """
    }

    @Test func repositoryRegistryParses() throws {
        let r = try DatasetRegistry(directory: packageRoot + "/datasets")
        #expect(Set(r.entries.map(\.name)).isSuperset(of: ["ml-100k", "ml-1m", "ml-20m", "ml-25m", "ml-latest-small"]))
        let e = try #require(r.entry(named: "ml-100k"))
        #expect(e.files.count == 21 && e.files.values.allSatisfy { $0.count == 64 })
        #expect(e.url == "https://files.grouplens.org/datasets/movielens/ml-100k.zip" && e.archiveRoot == "ml-100k")
        #expect(
            r.entry(named: "ml-1m")?.format == "movielens-dat" && r.entry(named: "ml-25m")?.format == "movielens-csv")
    }

    @Test func parseErrorsArePrecise() throws {
        let missing = try makeTempDir([
            "bad.json": text(
                #"{"name": "x", "description": "d", "format": "ml-100k", "archiveRoot": "r", "files": {}, "licence": "l"}"#
            )
        ])
        #expect(
            thrownMessage { _ = try DatasetRegistry(directory: missing) }
                == "bad.json: missing key \"url\" at top level")
        let wrongType = try makeTempDir(["t.json": text(Self.entryJSON(files: #"{"a": 3}"#))])
        #expect(thrownMessage { _ = try DatasetRegistry(directory: wrongType) } == "t.json: files.a: expected String")
        let format = try makeTempDir(["f.json": text(Self.entryJSON(format: "parquet"))])
        #expect(
            thrownMessage { _ = try DatasetRegistry(directory: format) }
                == "f.json: unknown format \"parquet\" (expected one of ml-100k, movielens-dat, movielens-csv, delimited, adjacency)"
        )
        let dup = try makeTempDir(["a.json": text(Self.entryJSON()), "b.json": text(Self.entryJSON())])
        #expect(
            thrownMessage { _ = try DatasetRegistry(directory: dup) }
                == "b.json: data set \"toy\" is already defined in a.json")
        let digest = try makeTempDir(["c.json": text(Self.entryJSON(files: #"{"u.data": "abc"}"#))])
        #expect(
            thrownMessage { _ = try DatasetRegistry(directory: digest) }
                == "c.json: files[\"u.data\"]: \"abc\" is not a SHA-256 hex digest")
        let notJSON = try makeTempDir(["n.json": text("{nope")])
        #expect(
            thrownMessage { _ = try DatasetRegistry(directory: notJSON) }?.hasPrefix("n.json: invalid JSON") == true)
    }

    @Test func resolveOrder() throws {
        let root = try makeTempDir([:])
        let fm = FileManager.default
        for p in ["explicit", "env/toy", "cache/toy"] {
            try fm.createDirectory(atPath: "\(root)/\(p)", withIntermediateDirectories: true)
        }
        let r = DatasetRegistry(entries: [])
        let env = ["RECBENCH_DATA_DIR": root + "/env"]
        let a = try r.locate("toy", explicitPath: root + "/explicit", environment: env, cacheDirectory: root + "/cache")
        #expect(a.path == root + "/explicit" && a.origin == .explicitPath)
        let b = try r.locate("toy", explicitPath: nil, environment: env, cacheDirectory: root + "/cache")
        #expect(b.path == root + "/env/toy" && b.origin == .environment)
        #expect(
            try r.resolve("toy", explicitPath: nil, environment: [:], cacheDirectory: root + "/cache") == root
                + "/cache/toy")
        #expect(
            thrownMessage {
                _ = try r.resolve("other", explicitPath: nil, environment: env, cacheDirectory: root + "/cache")
            }
                == "data set \"other\" not found; tried: \(root)/env/other ($RECBENCH_DATA_DIR), \(root)/cache/other (cache)"
        )
        #expect(
            thrownMessage {
                _ = try r.resolve(
                    "toy", explicitPath: root + "/nope", environment: env, cacheDirectory: root + "/cache")
            }
                == "data set \"toy\" not found at the explicit path \(root)/nope")
    }

    @Test func verifyReportsMismatchMissingAndUnrecorded() throws {
        let dir = try makeTempDir(["a": text("hello"), "b": text("world"), "c": text("!")])
        let e = DatasetEntry(
            name: "t", description: "", format: "delimited", url: "", archiveRoot: "",
            files: [
                "a": SHA256Hasher.hex("hello"), "b": SHA256Hasher.hex("WORLD"), "c": "", "d": SHA256Hasher.hex("x")
            ],
            licence: "")
        let checks = DatasetRegistry.verify(e, directory: dir)
        #expect(checks.map(\.file) == ["a", "b", "c", "d"])
        #expect(checks.map(\.ok) == [true, false, false, false])
        #expect(checks[1].actual == SHA256Hasher.hex("world") && checks[3].actual == nil)
        #expect(checks[0].status == "OK" && checks[3].status == "MISSING")
        #expect(checks[2].status.hasPrefix("no checksum recorded"))
    }

    /// Builds cache-ready zip: <tmp>/pack/toy/{u.data,u.user}.
    static func makeZip() throws -> (zip: String, files: [String: String]) {
        let uData = "1\t1\t5\t10\n2\t1\t3\t11\n"
        let dir = try makeTempDir([:])
        try FileManager.default.createDirectory(atPath: dir + "/pack/toy", withIntermediateDirectories: true)
        try Data(uData.utf8).write(to: URL(fileURLWithPath: dir + "/pack/toy/u.data"))
        let zip = Process()
        zip.executableURL = URL(fileURLWithPath: "/bin/sh")
        zip.arguments = ["-c", "cd '\(dir)/pack' && zip -qr '\(dir)/toy.zip' toy"]
        try zip.run(); zip.waitUntilExit()
        #expect(zip.terminationStatus == 0)
        return (dir + "/toy.zip", ["u.data": SHA256Hasher.hex(uData)])
    }

    @Test(.enabled(if: fetchToolsInstalled, "zip, unzip or curl is not installed: fetch test skipped"))
    func fetchFromLocalZip() throws {
        let (zip, files) = try Self.makeZip()
        let cache = try makeTempDir([:]) + "/cache"
        let entry = DatasetEntry(
            name: "toy", description: "", format: "ml-100k", url: "file://" + zip, archiveRoot: "toy",
            files: files, licence: "")
        var messages: [String] = []
        let path = try DatasetRegistry.fetch(entry, into: cache, progress: { messages.append($0) })
        #expect(path == cache + "/toy")
        #expect(DatasetRegistry.verify(entry, directory: path).allSatisfy { $0.ok })
        #expect(try FileManager.default.contentsOfDirectory(atPath: cache) == ["toy"])  // no temp leftovers
        #expect(messages.last?.contains("1 files verified") == true)
        let (d, _) = try DatasetRegistry.load(entry, directory: path, policy: .fail)
        #expect(d.name == "toy" && d.count == 2)
        // A second fetch finds it verified and does not download.
        messages = []
        _ = try DatasetRegistry.fetch(entry, into: cache, progress: { messages.append($0) })
        #expect(messages.count == 1 && messages[0].contains("already present"))
    }

    @Test(.enabled(if: fetchToolsInstalled, "zip, unzip or curl is not installed: fetch test skipped"))
    func fetchRefusesMismatch() throws {
        let (zip, _) = try Self.makeZip()
        let cache = try makeTempDir([:]) + "/cache"
        let entry = DatasetEntry(
            name: "toy", description: "", format: "ml-100k", url: "file://" + zip, archiveRoot: "toy",
            files: ["u.data": SHA256Hasher.hex("something else"), "u.item": ""], licence: "")
        let message = try #require(
            thrownMessage { _ = try DatasetRegistry.fetch(entry, into: cache, progress: { _ in }) })
        #expect(message.hasPrefix("toy: refusing the download, u.data: MISMATCH expected"))
        #expect(message.contains("u.item: MISSING"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: cache).isEmpty)  // nothing left behind
        let badURL = DatasetEntry(
            name: "toy", description: "", format: "ml-100k", url: "file:///no/such.zip", archiveRoot: "toy",
            files: [:], licence: "")
        #expect(
            thrownMessage { _ = try DatasetRegistry.fetch(badURL, into: cache, progress: { _ in }) }?
                .hasPrefix("download of file:///no/such.zip failed") == true)
    }

    @Test func exportWritesTSVAtomically() throws {
        let d = handMade([(2, 10, 4, 7), (1, 3, 3.5, 8)])
        let dir = try makeTempDir([:])
        try DatasetExport.writeTSV(d, to: dir + "/out.tsv")
        let s = try String(contentsOfFile: dir + "/out.tsv", encoding: .utf8)
        #expect(s == "user\titem\trating\ttimestamp\nu2\ti10\t4\t7\nu1\ti3\t3.5\t8\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["out.tsv"])
        // Round trip through the delimited loader.
        let (back, _) = try DelimitedLoader.load(
            path: dir + "/out.tsv",
            format: DelimitedFormat(
                separator: "\t", header: true, user: "user", item: "item", rating: "rating", timestamp: "timestamp"),
            name: "rt")
        #expect(rows(back) == rows(d))
    }
}

@Suite struct ChecksumTests {
    @Test func knownVectorsAndChunking() {
        #expect(SHA256Hasher.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256Hasher.hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(
            SHA256Hasher.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        // Same digest however the input is chunked (partial blocks carried between updates).
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var h = SHA256Hasher()
        var o = 0
        for size in [1, 63, 64, 65, 7, 200, 600] { h.update(bytes[o..<min(1000, o + size)]); o = min(1000, o + size) }
        #expect(h.finalize() == SHA256Hasher.hex(bytes))
    }
}

/// NIST FIPS 180-2 / CSRC example vectors beyond one block, and the per-process file digest cache.
@Suite struct DigestTests {
    @Test func longNISTVectors() {
        let long =
            "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"
        #expect(
            SHA256Hasher.hex(long)
                == "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
        // One million 'a' fed in uneven chunks.
        var h = SHA256Hasher()
        let chunk = [UInt8](repeating: 97, count: 999)
        var left = 1_000_000
        while left > 0 { let n = min(left, chunk.count); h.update(chunk[0..<n]); left -= n }
        #expect(h.finalize() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func fileDigestsAreCachedBySizeAndModificationTime() throws {
        let dir = try makeTempDir(["f.txt": text("abc")])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/f.txt"
        // Whole-second times, so setting one back gives the identical modification time.
        let mtime = Date(timeIntervalSince1970: 1_700_000_000)
        try FileManager.default.setAttributes([.modificationDate: mtime], ofItemAtPath: path)
        let cache = FileDigests()
        let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        #expect(try cache.digest(path: path) == abc)
        #expect(cache.digest(path: path, contents: Array("abc".utf8)) == abc)
        #expect(cache.computed == 1, "the second request is answered from memory")
        // Same size, same modification time: the key is unchanged, so the remembered digest is returned.
        try Data("abd".utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.modificationDate: mtime], ofItemAtPath: path)
        #expect(try cache.digest(path: path) == abc && cache.computed == 1)
        // A new modification time (same size) is hashed again.
        try FileManager.default.setAttributes([.modificationDate: mtime.addingTimeInterval(5)], ofItemAtPath: path)
        #expect(try cache.digest(path: path) == SHA256Hasher.hex("abd") && cache.computed == 2)
        // A new size is hashed again.
        try Data("abcd".utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.modificationDate: mtime.addingTimeInterval(5)], ofItemAtPath: path)
        #expect(try cache.digest(path: path) == SHA256Hasher.hex("abcd") && cache.computed == 3)
    }
}
