/// `$NAME` and `${NAME}` in file and folder paths, so an experiment file can say
/// `$RECBENCH_DATA_DIR/mine/u{fold}.base` and travel without the data beside it.
enum Variables {
    enum Problem: Error, Equatable {
        case unset(String)
        case unterminated
    }

    /// `text` with every variable replaced by its value in `environment`. A `$` not followed by a
    /// name or `{` is kept as it is.
    static func expand(_ text: String, environment: [String: String]) -> Result<String, Problem> {
        guard text.contains("$") else { return .success(text) }
        var out = "", rest = Substring(text)
        func isNameStart(_ c: Character) -> Bool { c == "_" || (c.isASCII && c.isLetter) }
        func isName(_ c: Character) -> Bool { isNameStart(c) || (c.isASCII && c.isNumber) }
        while let dollar = rest.firstIndex(of: "$") {
            out += rest[..<dollar]
            let after = rest[rest.index(after: dollar)...]
            let name: Substring
            if after.first == "{" {
                guard let close = after.firstIndex(of: "}") else { return .failure(.unterminated) }
                name = after[after.index(after: after.startIndex)..<close]
                guard let f = name.first, isNameStart(f), name.allSatisfy(isName) else {
                    return .failure(.unterminated)
                }
                rest = after[after.index(after: close)...]
            } else if let f = after.first, isNameStart(f) {
                name = after.prefix(while: isName)
                rest = after[name.endIndex...]
            } else {
                out += "$"; rest = after; continue
            }
            guard let value = environment[String(name)] else { return .failure(.unset(String(name))) }
            out += value
        }
        return .success(out + rest)
    }
}
