import Foundation
import RecbenchCore
import Testing
import RecbenchData
import RecbenchTestSupport

/// A fresh temporary folder with the given files (bytes or UTF-8 text).
func makeTempDir(_ files: [String: [UInt8]]) throws -> String {
    let dir = Scratch.path("recbench-data")
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    for (name, bytes) in files { try Data(bytes).write(to: URL(fileURLWithPath: dir + "/" + name)) }
    return dir
}
func text(_ s: String) -> [UInt8] { Array(s.utf8) }

/// Message of a thrown RecbenchError, or nil when nothing was thrown.
func thrownMessage(_ body: () throws -> Void) -> String? {
    do { try body(); return nil } catch { return "\(error)" }
}

/// (external user, external item, value, timestamp) in file order.
func rows(_ d: Dataset) -> [String] {
    (0..<d.count).map { p in
        "\(d.userIDs.id(at: d.users[p])) \(d.itemIDs.id(at: d.items[p])) \(d.values[p]) \(d.timestamps.map { String($0[p]) } ?? "-")"
    }
}

@Suite struct GroupLensLoaderTests {
    static let uData = "10\t5\t3\t100\n2\t7\t4\t200\n10\t7\t5\t150\n"

    @Test func ml100kRatingsAndSortedIDs() throws {
        let dir = try makeTempDir(["u.data": text(Self.uData)])
        let (d, report) = try GroupLens.loadML100K(directory: dir)
        #expect(report.skippedLines == 0)
        #expect(d.count == 3)
        // IDs sort numerically: user "2" before "10".
        #expect(d.userIDs.externalIDs == ["2", "10"])
        #expect(d.itemIDs.externalIDs == ["5", "7"])
        #expect(d.users == [1, 0, 1] && d.items == [0, 1, 1])
        #expect(d.values == [3, 4, 5])
        #expect(d.timestamps == [100, 200, 150])
        #expect(d.userFeatures.isEmpty && d.itemFeatures.isEmpty)  // features optional
        #expect(d.sources.count == 1 && d.sources[0].sha256 == SHA256Hasher.hex(Array(Self.uData.utf8)))
    }

    @Test func malformedLineFailsWithFileAndLine() throws {
        let dir = try makeTempDir(["u.data": text("1\t1\t3\t100\n\n1\t2\t4\n1\t3\tx\t5\n")])
        #expect(
            thrownMessage { _ = try GroupLens.loadML100K(directory: dir) }
                == "u.data:3: expected 4 tab-separated fields, got 3")
    }

    @Test func malformedLinesSkippedAndReported() throws {
        let dir = try makeTempDir(["u.data": text("1\t1\t3\t100\n1\t2\t4\n1\t3\tx\t5\n2\t3\t2\tt\n2\t4\t1\t7\n")])
        let (d, report) = try GroupLens.loadML100K(directory: dir, policy: .skip)
        #expect(d.count == 2)
        #expect(rows(d) == ["1 1 3.0 100", "2 4 1.0 7"])
        #expect(report.skippedLines == 3)
        #expect(
            report.problems == [
                "u.data:2: expected 4 tab-separated fields, got 3",
                "u.data:3: rating: 'x' is not a number",
                "u.data:4: timestamp: 't' is not an integer"
            ])
        // Rejected lines register no IDs: item 2 and 3 only appeared on bad lines… item 3 is absent.
        #expect(d.itemIDs.externalIDs == ["1", "4"])
    }

    @Test func latin1ItemsAndUserFeatures() throws {
        var item = text("1|Toy Story (1995)|01-Jan-1995||http://x|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0\n")
        // "Misérables" in Latin-1: 0xE9 is not valid UTF-8.
        item +=
            text("2|Mis") + [0xE9] + text("rables (1995)|01-Jan-1978||http://y|0|0|0|0|0|0|0|0|1|0|0|0|0|0|0|0|0|0|0\n")
        let dir = try makeTempDir([
            "u.data": text("1\t1\t5\t1\n2\t2\t3\t2\n3\t1\t4\t3\n"),
            "u.user": text("1|24|M|technician|85711\n2|53|F|other|94043\n3|17|M|student|1\n99|30|F|writer|2\n"),
            "u.item": item
        ])
        let (d, _) = try GroupLens.loadML100K(directory: dir)
        let genre = try #require(d.itemFeatures["genre"])
        #expect(genre.kind == .multiHot && genre.columnNames.count == 19)
        #expect(Array(genre.matrix.rowIndices(0)) == [3, 4, 5])  // Animation, Children's, Comedy
        #expect(Array(genre.matrix.rowIndices(1)) == [8])  // Drama
        let year = try #require(d.itemFeatures["year"])
        #expect(year.columnNames == ["1970s", "1990s"])
        #expect(Array(year.matrix.rowIndices(0)) == [1] && Array(year.matrix.rowIndices(1)) == [0])
        let age = try #require(d.userFeatures["age"])
        #expect(age.matrix.rows == 3)  // user 99 has no ratings and is ignored
        #expect(age.columnNames == ["18-24", "50-55", "under-18"])
        #expect(Array(age.matrix.rowIndices(2)) == [2])
        #expect(d.userFeatures["gender"]?.columnNames == ["F", "M"])
        #expect(d.userFeatures["occupation"]?.columnNames == ["other", "student", "technician"])
        #expect(d.sources.map { ($0.path as NSString).lastPathComponent } == ["u.data", "u.user", "u.item"])
    }

    @Test func datLoaderWithFeatures() throws {
        var movies = text("1::Toy Story (1995)::Animation|Children's|Comedy\n")
        movies += text("2::Caf") + [0xE9] + text(" (1960)::Drama\n")
        let dir = try makeTempDir([
            "ratings.dat": text("1::1::5::978300760\n1::2::3::978302109\n2::1::4::978301968\n"),
            "users.dat": text("1::F::1::10::48067\n2::M::56::16::70072\n"),
            "movies.dat": movies
        ])
        let (d, _) = try GroupLens.loadDat(directory: dir)
        #expect(rows(d) == ["1 1 5.0 978300760", "1 2 3.0 978302109", "2 1 4.0 978301968"])
        #expect(d.userFeatures["age"]?.columnNames == ["56+", "under-18"])
        #expect(d.userFeatures["occupation"]?.columnNames == ["K-12 student", "self-employed"])
        let genre = try #require(d.itemFeatures["genre"])
        #expect(genre.columnNames == ["Animation", "Children's", "Comedy", "Drama"])
        #expect(Array(genre.matrix.rowIndices(1)) == [3])
        #expect(d.itemFeatures["year"]?.columnNames == ["1960s", "1990s"])

        let bad = try makeTempDir(["ratings.dat": text("1::1::5::1\n1::2::3\n")])
        #expect(
            thrownMessage { _ = try GroupLens.loadDat(directory: bad) }
                == "ratings.dat:2: expected 4 '::'-separated fields, got 3")
    }

    @Test func csvLoaderWithQuotedTitles() throws {
        let dir = try makeTempDir([
            "ratings.csv": text(
                "userId,movieId,rating,timestamp\r\n1,31,2.5,1260759144\r\n1,1029,3.0,1260759179\r\n7,31,4.5,1\r\n"),
            "movies.csv": text(
                "movieId,title,genres\n31,Dangerous Minds (1995),Drama\n1029,\"Dumbo, the \"\"Flying\"\" Elephant (1941)\",Animation|Children's\n5,Nothing (2000),(no genres listed)\n"
            )
        ])
        let (d, _) = try GroupLens.loadCSV(directory: dir)
        #expect(rows(d) == ["1 31 2.5 1260759144", "1 1029 3.0 1260759179", "7 31 4.5 1"])
        let genre = try #require(d.itemFeatures["genre"])
        #expect(genre.columnNames == ["Animation", "Children's", "Drama"])
        #expect(Array(genre.matrix.rowIndices(1)) == [0, 1])  // quoted title with a comma did not shift the genres
        #expect(d.itemFeatures["year"]?.columnNames == ["1940s", "1990s"])

        let bad = try makeTempDir(["ratings.csv": text("userId,movieId,rating,timestamp\n1,2,3,4\n1,\"2,3,4\n")])
        #expect(
            thrownMessage { _ = try GroupLens.loadCSV(directory: bad) } == "ratings.csv:3: unterminated quoted field")
        let (skipped, report) = try GroupLens.loadCSV(directory: bad, policy: .skip)
        #expect(skipped.count == 1 && report.skippedLines == 1)
    }

    /// A ratings.csv whose header names fewer columns than the layout reads is refused line by line
    /// (found by recbench-fuzz: the short header made the loader index past the fields and trap).
    @Test func csvWithAShortHeaderIsAnErrorNotATrap() throws {
        let dir = try makeTempDir(["ratings.csv": text("a\nb\nc\n")])
        #expect(
            thrownMessage { _ = try GroupLens.loadCSV(directory: dir) }
                == "ratings.csv:2: expected at least 4 comma-separated fields, got 1")
        let message = thrownMessage { _ = try GroupLens.loadCSV(directory: dir, policy: .skip) }
        #expect(message == "ratings.csv: no interactions: all 2 data lines are malformed (skipped)")
    }

    /// An empty ratings file is named as such, not reported later as an empty data set.
    @Test func emptyRatingsFileIsNamed() throws {
        let dir = try makeTempDir(["u.data": []])
        #expect(
            thrownMessage { _ = try GroupLens.loadML100K(directory: dir) }
                == "u.data: no interactions: the file is empty")
    }

    @Test func missingRatingsFileIsAClearError() throws {
        let dir = try makeTempDir([:])
        let message = try #require(thrownMessage { _ = try GroupLens.loadML100K(directory: dir) })
        #expect(message.hasSuffix("u.data: file not found"))
    }
}

@Suite struct DelimitedLoaderTests {
    @Test func headerWithNamedColumnsAndNoTimestamp() throws {
        let dir = try makeTempDir(["x.csv": text("when,item,who,score\n5,b,u2,1.5\n6,a,u1,2\n")])
        let f = DelimitedFormat(separator: ",", header: true, user: "who", item: "item", rating: "score")
        let (d, _) = try DelimitedLoader.load(path: dir + "/x.csv", format: f, name: "x")
        #expect(d.name == "x" && d.timestamps == nil)
        #expect(d.itemIDs.externalIDs == ["a", "b"] && d.userIDs.externalIDs == ["u1", "u2"])
        #expect(rows(d) == ["u2 b 1.5 -", "u1 a 2.0 -"])
    }

    @Test func indexSelectorsUnaryAndMultiByteSeparator() throws {
        let dir = try makeTempDir(["x.dat": text("3::9::77\n1::9::78\n")])
        let f = DelimitedFormat(separator: "::", header: false, user: "0", item: "1", rating: nil, timestamp: "2")
        let (d, _) = try DelimitedLoader.load(path: dir + "/x.dat", format: f, name: "x")
        #expect(d.values == [1, 1])  // unary
        #expect(rows(d) == ["3 9 1.0 77", "1 9 1.0 78"])
    }

    @Test func unknownColumnAndShortLines() throws {
        let dir = try makeTempDir(["x.tsv": text("u\ti\n1\t2\n3\n")])
        let bad = DelimitedFormat(separator: "\t", header: true, user: "u", item: "item")
        #expect(
            thrownMessage { _ = try DelimitedLoader.load(path: dir + "/x.tsv", format: bad, name: "x") }
                == "x.tsv:1: item: no column 'item'; header has u, i")
        let ok = DelimitedFormat(separator: "\t", header: true, user: "u", item: "i")
        #expect(
            thrownMessage { _ = try DelimitedLoader.load(path: dir + "/x.tsv", format: ok, name: "x") }
                == "x.tsv:3: expected 2 tab-separated fields, got 1")
        let noHeader = try makeTempDir(["y.txt": text("1;2;4\n5\n")])
        let f = DelimitedFormat(separator: ";", header: false, user: "0", item: "1", rating: "2")
        let (d, report) = try DelimitedLoader.load(path: noHeader + "/y.txt", format: f, name: "y", policy: .skip)
        #expect(d.count == 1 && report.problems == ["y.txt:2: expected at least 3 semicolon-separated fields, got 1"])
    }
}
