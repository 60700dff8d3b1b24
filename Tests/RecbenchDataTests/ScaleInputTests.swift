import Foundation
import Testing
import RecbenchCore
@testable import RecbenchData

/// Bad input at scale (issue 18): each a one-line FILE:LINE: field: message error, never a trap.
@Suite struct ScaleInputTests {
    /// IDs are indexed by Int32; the ID that would be number limit + 1 of its column fails at its own
    /// line. The real limit (2³¹ − 1 distinct IDs) is lowered here to 5.
    @Test func idBeyondTheIndexRangeIsAnInputError() throws {
        let rows = (1...6).map { "u\($0)\titem\($0 % 2)\t1\t0" }.joined(separator: "\n") + "\n"
        let adjacency = "1 10 11 12\n2 12 13 14 15\n"
        let dir = try makeTempDir(["many.tsv": text(rows), "adj.txt": text(adjacency)])
        func delimited() throws {
            _ = try DelimitedLoader.load(path: dir + "/many.tsv", format: .tabSeparated, name: "d")
        }
        func lists() throws { _ = try AdjacencyLoader.load(paths: [dir + "/adj.txt"], name: "a", ordered: false) }
        let suffix = "distinct IDs (users and items are indexed by 32-bit integers)"
        IDCollector.$limit.withValue(5) {
            #expect(thrownMessage(delimited) == "many.tsv:6: user: more than 5 \(suffix)")
            // Items 10–14 fill the column; 15, on line 2, is the sixth.
            #expect(thrownMessage(lists) == "adj.txt:2: item: more than 5 \(suffix)")
        }
        IDCollector.$limit.withValue(6) {
            #expect(thrownMessage(delimited) == nil)
            #expect(thrownMessage(lists) == nil)
        }
    }

    /// A malformed line far into a large file is reported with its own line number (not a chunk's or
    /// a record's), in both layouts.
    @Test func malformedLineDeepInALargeFileNamesItsLine() throws {
        let bad = 187_000
        var tsv = "", lists = ""
        tsv.reserveCapacity(200_000 * 16)
        for k in 1...200_000 {
            tsv += k == bad ? "\(k % 5000)\t\(k % 977)\tfive\t\(k)\n" : "\(k % 5000)\t\(k % 977)\t4\t\(k)\n"
            lists += k == bad ? "\(k) 1 2x 3\n" : "\(k) 1 2 3\n"
        }
        let dir = try makeTempDir(["big.tsv": text(tsv), "big.txt": text(lists)])
        #expect(
            thrownMessage { _ = try DelimitedLoader.load(path: dir + "/big.tsv", format: .tabSeparated, name: "d") }
                == "big.tsv:187000: rating: 'five' is not a number")
        #expect(
            thrownMessage { _ = try AdjacencyLoader.load(paths: [dir + "/big.txt"], name: "a", ordered: false) }
                == "big.txt:187000: item 2 '2x' is not a non-negative integer")
    }
}

/// Loading at 10⁸ keeps the file out of resident memory by handing passed pages back (issue 18). The
/// bytes must stay what they were, a line scan over more than one release window must see every line,
/// and the header is read without a pass over the file.
@Test func releasedPagesOfAMappedFileReadTheSame() throws {
    let rows = (0..<2_000_000).map { "u\($0 % 977)\ti\($0 % 389)\t\($0 % 5 + 1)\t\($0)" }
    let body = "user\titem\trating\ttimestamp\n" + rows.joined(separator: "\n") + "\n"
    let dir = try makeTempDir(["big.tsv": text(body)])
    let file = try MappedFile(dir + "/big.tsv")
    #expect(file.data.count > 1 << 25, "the file spans more than one 32 MiB release window")
    var lines = 0, last = ""
    file.data.withUnsafeBytes { b in
        forEachLine(b, releasing: file) { _, line in
            lines += 1; last = decodeText(b, line)
        }
    }
    #expect(lines == 2_000_001 && last == rows.last!)
    file.release(0..<file.data.count)
    #expect(file.data == Data(body.utf8), "released pages are read again from the file")
    #expect(
        try GroupLens.headerFields(file, FieldSplitter(separator: "\t", quoted: false)) == [
            "user", "item", "rating", "timestamp"
        ])
}

/// Large files are parsed in blocks on every core and merged (issue 18). Lowering the size threshold
/// sends small files that way: the data set must equal the one-pass load (IDs numeric and not, CRLF,
/// blank lines, a header), and a bad line must give the one-pass error, line number included.
@Test func aFileReadInBlocksEqualsTheOnePassLoad() throws {
    var rows = ["user\titem\trating\ttimestamp"]
    for k in 0..<5_000 {
        let user = k % 7 == 0 ? "u\(k % 311)" : String(k % 311)
        rows.append("\(user)\t\(k % 97 == 0 ? "x\(k % 13)" : String(k * 7 % 503))\t\(k % 5 + 1)\t\(k)")
        if k % 1_000 == 0 { rows.append("") }
    }
    let good = rows.joined(separator: "\r\n") + "\r\n"
    var bad = rows
    bad[3_001] = "u1\t5\tfive\t0"
    let dir = try makeTempDir(["good.tsv": text(good), "bad.tsv": text(bad.joined(separator: "\n"))])
    let format = DelimitedFormat(
        separator: "\t", header: true, user: "user", item: "item", rating: "rating", timestamp: "timestamp")
    func load(_ name: String, blocks: Bool) throws -> Dataset {
        try RatingsAccumulator.$parallelBytes.withValue(blocks ? 1 : Int.max) {
            try DelimitedLoader.load(path: dir + "/" + name, format: format, name: "d").0
        }
    }
    let one = try load("good.tsv", blocks: false), blocked = try load("good.tsv", blocks: true)
    #expect(blocked.count == 5_000 && blocked.users == one.users && blocked.items == one.items)
    #expect(blocked.values == one.values && blocked.timestamps == one.timestamps)
    #expect(blocked.userIDs == one.userIDs && blocked.itemIDs == one.itemIDs)
    #expect(lineBlocks(UnsafeRawBufferPointer(start: nil, count: 0), count: 8).isEmpty)
    // The block path itself: taken for the clean file, declined (nothing kept) for the bad one.
    let layout = RatingsAccumulator.LineLayout(
        splitter: FieldSplitter(separator: "\t", quoted: false), skipHeader: true,
        columns: RatingColumns(user: 0, item: 1, rating: 2, timestamp: 3), minFields: 4, exactFields: 4)
    try RatingsAccumulator.$parallelBytes.withValue(1) {
        var good = RatingsAccumulator(), bad = RatingsAccumulator()
        let goodFile = try MappedFile(dir + "/good.tsv"), badFile = try MappedFile(dir + "/bad.tsv")
        #expect(good.readInBlocks(goodFile, layout) && good.users.count == 5_000)
        #expect(!bad.readInBlocks(badFile, layout) && bad.users.isEmpty)
    }
    let message = thrownMessage { _ = try load("bad.tsv", blocks: false) }
    #expect(message?.hasPrefix("bad.tsv:3002: rating:") == true, "\(message ?? "no error")")
    #expect(thrownMessage { _ = try load("bad.tsv", blocks: true) } == message)
}

/// Adjacency lists take the same block path: equal to the one-pass load (blank lines, tabs and runs
/// of blanks, a user-only line, two files), and every line the block path declines — a bad token, a
/// user's second line in one file, also when the two lines fall in different blocks — gives the
/// one-pass error, line number included.
@Test func adjacencyListsReadInBlocksEqualTheOnePassLoad() throws {
    var rows: [String] = []
    for u in 0..<3_000 {
        let items = (0..<(u % 23)).map { String(($0 * 37 + u * 11) % 4_001) }
        rows.append(([String(u * 3)] + items).joined(separator: u % 5 == 0 ? "\t" : u % 7 == 0 ? "  " : " "))
        if u % 500 == 0 { rows.append("") }
    }
    let good = rows.joined(separator: "\n") + "\n"
    var badToken = rows, repeated = rows
    badToken[2_001] = "6003 5 x7"
    repeated[2_501] = "3 1 2"  // user 3's first line is line 3 of the file; this is line 2,502
    let dir = try makeTempDir([
        "good.txt": text(good), "more.txt": text("3 4000 4001\n9001 1\n"),
        "badToken.txt": text(badToken.joined(separator: "\n")), "repeated.txt": text(repeated.joined(separator: "\n"))
    ])
    func load(_ names: [String], blocks: Bool) throws -> Dataset {
        try RatingsAccumulator.$parallelBytes.withValue(blocks ? 1 : Int.max) {
            try AdjacencyLoader.load(paths: names.map { dir + "/" + $0 }, name: "a", ordered: true).0
        }
    }
    let one = try load(["good.txt", "more.txt"], blocks: false)
    let blocked = try load(["good.txt", "more.txt"], blocks: true)
    #expect(one.count == (0..<3_000).reduce(0) { $0 + $1 % 23 } + 3)
    #expect(blocked.users == one.users && blocked.items == one.items && blocked.timestamps == one.timestamps)
    #expect(blocked.userIDs == one.userIDs && blocked.itemIDs == one.itemIDs)
    // The block path itself declines both bad files, keeping nothing.
    try RatingsAccumulator.$parallelBytes.withValue(1) {
        var lines = AdjacencyLoader.Lines()
        let goodFile = try MappedFile(dir + "/good.txt")
        #expect(lines.readInBlocks(goodFile) && lines.users.count == one.count - 3)
        for name in ["badToken.txt", "repeated.txt"] {
            var bad = AdjacencyLoader.Lines()
            let file = try MappedFile(dir + "/" + name)
            #expect(!bad.readInBlocks(file) && bad.users.isEmpty, "\(name)")
        }
    }
    for (name, prefix) in [
        ("badToken.txt", "badToken.txt:2002: item 2 'x7'"),
        ("repeated.txt", "repeated.txt:2502: user 3 already has line 3 in this file")
    ] {
        let message = thrownMessage { _ = try load([name], blocks: false) }
        #expect(message?.hasPrefix(prefix) == true, "\(message ?? "no error")")
        #expect(thrownMessage { _ = try load([name], blocks: true) } == message)
    }
}
