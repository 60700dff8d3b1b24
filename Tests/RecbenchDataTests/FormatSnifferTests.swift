import Foundation
import RecbenchCore
import Testing
import RecbenchData

@Suite struct FormatSnifferTests {
    @Test func movieLensCSVWithHeader() throws {
        let g = try #require(
            FormatSniffer.sniff(lines: [
                "userId,movieId,rating,timestamp", "1,31,2.5,1260759144",
                "1,1029,3.0,1260759179"
            ]))
        #expect(
            g.format
                == DelimitedFormat(
                    separator: ",", header: true, user: "userId", item: "movieId", rating: "rating",
                    timestamp: "timestamp"))
        #expect(
            g.roles == [
                "user: column 0 \"userId\"", "item: column 1 \"movieId\"", "rating: column 2 \"rating\"",
                "timestamp: column 3 \"timestamp\""
            ])
    }

    @Test func namedColumnsInAnyOrderAndUnknownNames() throws {
        // Item first, a header whose user and item names are unknown words, a free-text column.
        let a = try #require(FormatSniffer.sniff(lines: ["item;user;stars;comment", "a;1;4;nice", "b;2;5;ok"]))
        #expect(
            a.format.separator == ";" && a.format.header && a.format.user == "user" && a.format.item == "item"
                && a.format.rating == "stars" && a.format.timestamp == nil)
        // No role names: a header because the numeric columns start with text; roles by position and range.
        let b = try #require(
            FormatSniffer.sniff(lines: ["who\twhat\thow\twhen", "7\t9\t1\t978300760", "8\t9\t5\t978302109"]))
        #expect(
            b.format
                == DelimitedFormat(
                    separator: "\t", header: true, user: "who", item: "what", rating: "how", timestamp: "when"))
    }

    @Test func headerlessFilesByPositionAndValues() throws {
        // ML-1M's ratings.dat: '::', no header; a column of 9-digit integers is the timestamp.
        let g = try #require(FormatSniffer.sniff(lines: ["1::1193::5::978300760", "1::661::3::978302109"]))
        #expect(
            g.format
                == DelimitedFormat(separator: "::", header: false, user: "0", item: "1", rating: "2", timestamp: "3"))
        // Two columns: unary feedback.
        let u = try #require(FormatSniffer.sniff(lines: ["u1 i1", "u1 i2", "u2 i1"]))
        #expect(u.format == DelimitedFormat(separator: " ", header: false, user: "0", item: "1"))
        // Dates that are not integer seconds are no timestamp column.
        let d = try #require(FormatSniffer.sniff(lines: ["user,item,date", "1,2,2020-01-01", "2,3,2020-01-02"]))
        #expect(d.format.timestamp == nil && d.roles.last == "timestamp: none")
        #expect(FormatSniffer.sniff(lines: ["onefield", "another"]) == nil)
        #expect(FormatSniffer.sniff(lines: ["a,b,c", "d,e"]) == nil)
    }

    @Test func aMismatchSaysWhichFormatKeyFixesIt() throws {
        let dir = try makeTempDir([
            "ratings.csv": text("user,item,rating,timestamp\n1,10,4,100\n2,10,5,200\n"),
            "ratings.tsv": text("user\titem\trating\n1\t10\t4\n")
        ])
        #expect(
            thrownMessage { _ = try DelimitedLoader.load(path: dir + "/ratings.csv", format: .tabSeparated, name: "r") }
                == "ratings.csv:1: expected at least 4 tab-separated fields, got 1; the file looks comma-separated: "
                + "set \"format\": {\"separator\": \",\", \"header\": true}")
        let threeColumns = DelimitedFormat(separator: "\t", header: false, user: "0", item: "1", rating: "2")
        #expect(
            thrownMessage { _ = try DelimitedLoader.load(path: dir + "/ratings.tsv", format: threeColumns, name: "r") }
                == "ratings.tsv:1: rating: 'rating' is not a number; its first line looks like a header (user, item, rating): "
                + "set \"format\": {\"header\": true}")
    }

    @Test func aCSVFileWithAHeaderNeedsNoFormatBlock() throws {
        let dir = try makeTempDir([
            "r.csv": text("movieId,userId,rating\n10,1,4\n11,1,2\n10,2,5\n"), "plain.csv": text("1,10\n2,10\n"),
            "u.data": text("1\t10\t4\t100\n")
        ])
        let f = try DelimitedFormat.implied(forFile: dir + "/r.csv")
        let (d, _) = try DelimitedLoader.load(path: dir + "/r.csv", format: f, name: "r")
        #expect(rows(d) == ["1 10 4.0 -", "1 11 2.0 -", "2 10 5.0 -"])
        #expect(
            thrownMessage { _ = try DelimitedFormat.implied(forFile: dir + "/plain.csv") }
                == "plain.csv:1: a .csv file without a header line naming its columns needs a \"format\" block "
                + "(\"separator\", \"user\", \"item\", \"rating\", \"timestamp\")")
        #expect(try DelimitedFormat.implied(forFile: dir + "/u.data") == .tabSeparated)
    }
}
