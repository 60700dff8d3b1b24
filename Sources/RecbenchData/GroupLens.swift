import Foundation
import RecbenchCore

/// Loaders for the GroupLens MovieLens releases, in their three on-disk layouts.
public enum GroupLens {
    static let ml100kGenres = [
        "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
        "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery",
        "Romance", "Sci-Fi", "Thriller", "War", "Western"
    ]
    static let ml1mOccupations = [
        "other", "academic/educator", "artist", "clerical/admin", "college/grad student",
        "customer service", "doctor/health care", "executive/managerial", "farmer",
        "homemaker", "K-12 student", "lawyer", "programmer", "retired", "sales/marketing",
        "scientist", "self-employed", "technician/engineer", "tradesman/craftsman",
        "unemployed", "writer"
    ]

    static func path(_ directory: String, _ file: String) -> String {
        (directory as NSString).appendingPathComponent(file)
    }
    static func exists(_ p: String) -> Bool { FileManager.default.fileExists(atPath: p) }
    static func name(of directory: String) -> String {
        ((directory as NSString).standardizingPath as NSString).lastPathComponent
    }

    /// ML-100K: u.data (user \t item \t rating \t timestamp) plus, when present, u.user (categorical
    /// "age" bucket, "gender", "occupation") and u.item (multi-hot "genre", categorical "year" decade).
    /// u.item is Latin-1; only its date and genre flags are used, so its titles need no decoding.
    public static func loadML100K(directory: String, policy: MalformedLinePolicy = .fail) throws -> (
        Dataset, LoadReport
    ) {
        var report = LoadReport()
        var acc = RatingsAccumulator()
        try acc.read(
            MappedFile(path(directory, "u.data")), splitter: FieldSplitter(separator: "\t", quoted: false),
            skipHeader: false, columns: RatingColumns(user: 0, item: 1, rating: 2, timestamp: 3),
            exactFields: 4, policy: policy, report: &report)
        var extra: [Dataset.SourceFile] = []
        var d = try acc.build(name: name(of: directory)) { um, im in
            var uf = FeatureTable(), itf = FeatureTable()
            let pipe = FieldSplitter(separator: "|", quoted: false)
            if exists(path(directory, "u.user")) {
                let f = try MappedFile(path(directory, "u.user"))
                var age = [String?](repeating: nil, count: um.count), gender = age, occupation = age
                try readRecords(f, splitter: pipe, skipHeader: false, minFields: 4, policy: policy, report: &report) {
                    b, _, fs in
                    guard let a = parseInt64(b, fs[1]) else { return "age: \(quotedField(b, fs[1])) is not an integer" }
                    // A user without ratings.
                    guard let u = um.index(of: decodeText(b, trimmed(b, fs[0]))) else { return nil }
                    age[Int(u)] = FeatureBuilder.ageBucket(Int(a))
                    gender[Int(u)] = decodeText(b, trimmed(b, fs[2]))
                    occupation[Int(u)] = decodeText(b, trimmed(b, fs[3]))
                    return nil
                }
                uf.groups = [
                    FeatureGroup(name: "age", categories: age), FeatureGroup(name: "gender", categories: gender),
                    FeatureGroup(name: "occupation", categories: occupation)
                ]
                extra.append(try f.source())
            }
            if exists(path(directory, "u.item")) {
                var genreNames = ml100kGenres
                if exists(path(directory, "u.genre")) {
                    let g = try MappedFile(path(directory, "u.genre"))
                    var named: [(Int, String)] = []
                    try readRecords(g, splitter: pipe, skipHeader: false, minFields: 2, policy: policy, report: &report)
                    { b, _, fs in
                        guard let i = parseInt64(b, fs[1]) else {
                            return "genre index: \(quotedField(b, fs[1])) is not an integer"
                        }
                        named.append((Int(i), decodeText(b, fs[0])))
                        return nil
                    }
                    if !named.isEmpty { genreNames = named.sorted { $0.0 < $1.0 }.map(\.1) }
                    extra.append(try g.source())
                }
                let f = try MappedFile(path(directory, "u.item"))
                var genres = [[Int32]](repeating: [], count: im.count)
                var year = [String?](repeating: nil, count: im.count)
                let flagCount = genreNames.count
                try readRecords(
                    f, splitter: pipe, skipHeader: false, minFields: 5 + flagCount, policy: policy, report: &report
                ) { b, _, fs in
                    guard fs.count == 5 + flagCount else {
                        return "expected \(5 + flagCount) '|'-separated fields, got \(fs.count)"
                    }
                    var flags: [Int32] = []
                    for g in 0..<flagCount {
                        guard let v = parseInt64(b, fs[5 + g]), v == 0 || v == 1 else {
                            return "genre flag \(g + 1) is not 0 or 1"
                        }
                        if v == 1 { flags.append(Int32(g)) }
                    }
                    guard let i = im.index(of: decodeText(b, trimmed(b, fs[0]))) else { return nil }
                    genres[Int(i)] = flags
                    let date = decodeText(b, trimmed(b, fs[2]))  // "01-Jan-1995"
                    if date.count >= 4, let y = Int(date.suffix(4)) { year[Int(i)] = FeatureBuilder.decade(y) }
                    return nil
                }
                itf.groups = [
                    FeatureBuilder.multiHot(name: "genre", columns: genreNames, rows: genres),
                    FeatureGroup(name: "year", categories: year)
                ]
                extra.append(try f.source())
            }
            return (uf, itf)
        }
        d.sources += extra
        return (d, report)
    }

    /// ML-1M / ML-10M: ratings.dat `user::item::rating::timestamp`, plus users.dat
    /// (`user::gender::age::occupation::zip`) and movies.dat (`item::title::genre|genre`) when present.
    public static func loadDat(directory: String, policy: MalformedLinePolicy = .fail) throws -> (Dataset, LoadReport) {
        var report = LoadReport()
        var acc = RatingsAccumulator()
        let sep = FieldSplitter(separator: "::", quoted: false)
        try acc.read(
            MappedFile(path(directory, "ratings.dat")), splitter: sep, skipHeader: false,
            columns: RatingColumns(user: 0, item: 1, rating: 2, timestamp: 3), exactFields: 4,
            policy: policy, report: &report)
        var extra: [Dataset.SourceFile] = []
        var d = try acc.build(name: name(of: directory)) { um, im in
            var uf = FeatureTable(), itf = FeatureTable()
            if exists(path(directory, "users.dat")) {
                let f = try MappedFile(path(directory, "users.dat"))
                var age = [String?](repeating: nil, count: um.count), gender = age, occupation = age
                try readRecords(f, splitter: sep, skipHeader: false, minFields: 4, policy: policy, report: &report) {
                    b, _, fs in
                    guard let a = parseInt64(b, fs[2]) else { return "age: \(quotedField(b, fs[2])) is not an integer" }
                    guard let o = parseInt64(b, fs[3]) else {
                        return "occupation: \(quotedField(b, fs[3])) is not an integer"
                    }
                    guard let u = um.index(of: decodeText(b, trimmed(b, fs[0]))) else { return nil }
                    gender[Int(u)] = decodeText(b, trimmed(b, fs[1]))
                    age[Int(u)] = FeatureBuilder.ageBucket(Int(a))
                    occupation[Int(u)] =
                        (0..<Int64(ml1mOccupations.count)).contains(o) ? ml1mOccupations[Int(o)] : "code-\(o)"
                    return nil
                }
                uf.groups = [
                    FeatureGroup(name: "age", categories: age), FeatureGroup(name: "gender", categories: gender),
                    FeatureGroup(name: "occupation", categories: occupation)
                ]
                extra.append(try f.source())
            }
            if exists(path(directory, "movies.dat")) {
                let f = try MappedFile(path(directory, "movies.dat"))
                itf.groups = try movieFeatures(
                    f, splitter: sep, skipHeader: false, items: im, policy: policy, report: &report)
                extra.append(try f.source())
            }
            return (uf, itf)
        }
        d.sources += extra
        return (d, report)
    }

    /// ML-20M / 25M / latest: ratings.csv with header `userId,movieId,rating,timestamp`, plus
    /// movies.csv (`movieId,title,genres`, titles quoted when they contain commas) when present.
    public static func loadCSV(directory: String, policy: MalformedLinePolicy = .fail) throws -> (Dataset, LoadReport) {
        var report = LoadReport()
        var acc = RatingsAccumulator()
        let comma = FieldSplitter(separator: ",", quoted: true)
        let ratings = try MappedFile(path(directory, "ratings.csv"))
        let header = try headerFields(ratings, comma)
        func column(_ name: String, _ fallback: Int) -> Int { header.firstIndex(of: name) ?? fallback }
        try acc.read(
            ratings, splitter: comma, skipHeader: true,
            columns: RatingColumns(
                user: column("userId", 0), item: column("movieId", 1),
                rating: column("rating", 2), timestamp: column("timestamp", 3)),
            exactFields: header.count, policy: policy, report: &report)
        var extra: [Dataset.SourceFile] = []
        var d = try acc.build(name: name(of: directory)) { _, im in
            var itf = FeatureTable()
            if exists(path(directory, "movies.csv")) {
                let f = try MappedFile(path(directory, "movies.csv"))
                itf.groups = try movieFeatures(
                    f, splitter: comma, skipHeader: true, items: im, policy: policy, report: &report)
                extra.append(try f.source())
            }
            return (FeatureTable(), itf)
        }
        d.sources += extra
        return (d, report)
    }

    /// Fields of the first line (trimmed, quotes removed).
    static func headerFields(_ f: MappedFile, _ splitter: FieldSplitter) throws -> [String] {
        var out: [String] = []
        var fields = [Range<Int>]()
        var seen = false
        f.data.withUnsafeBytes { (b: UnsafeRawBufferPointer) in
            guard let line = firstLine(b) else { return }
            seen = true
            _ = splitter.split(b, line, into: &fields)
            out = fields.map { decodeText(b, trimmed(b, $0), unescapeQuotes: true) }
        }
        guard seen else {
            throw RecbenchError.input(file: f.name, line: 0, message: "empty file, expected a header line")
        }
        return out
    }

    /// `id<sep>title<sep>genre|genre` → multi-hot "genre" and categorical "year" (decade from the title).
    static func movieFeatures(
        _ f: MappedFile, splitter: FieldSplitter, skipHeader: Bool, items im: IDMap,
        policy: MalformedLinePolicy, report: inout LoadReport
    ) throws -> [FeatureGroup] {
        var genres = [[String]](repeating: [], count: im.count)
        var year = [String?](repeating: nil, count: im.count)
        try readRecords(f, splitter: splitter, skipHeader: skipHeader, minFields: 3, policy: policy, report: &report) {
            b, _, fs in
            guard let i = im.index(of: decodeText(b, trimmed(b, fs[0]))) else { return nil }
            let title = decodeText(b, fs[1], unescapeQuotes: true)
            if let y = FeatureBuilder.yearFromTitle(title) { year[Int(i)] = FeatureBuilder.decade(y) }
            let g = decodeText(b, trimmed(b, fs[fs.count - 1]))
            genres[Int(i)] = g == "(no genres listed)" || g.isEmpty ? [] : g.split(separator: "|").map(String.init)
            return nil
        }
        return [FeatureBuilder.multiHot(name: "genre", names: genres), FeatureGroup(name: "year", categories: year)]
    }
}
