import RecbenchCore

/// Seeded mutations of byte strings: flips, interesting values, dictionary tokens, chunk copies,
/// deletions, truncations and splices with another input of the pool.
struct Mutator {
    var rng: RandomSource
    let dictionary: [[UInt8]]
    let maxLength: Int

    init(seed: UInt64, dictionary: [String], maxLength: Int = 1 << 16) {
        rng = RandomSource(seed: seed, stream: "fuzz")
        self.dictionary = dictionary.map { Array($0.utf8) }
        self.maxLength = maxLength
    }

    mutating func below(_ n: Int) -> Int { n <= 1 ? 0 : rng.nextInt(below: n) }

    mutating func mutate(_ input: [UInt8], other: [UInt8]) -> [UInt8] {
        var x = input
        for _ in 0...below(4) { x = once(x, other: other) }
        return x.count > maxLength ? Array(x.prefix(maxLength)) : x
    }

    mutating func once(_ input: [UInt8], other: [UInt8]) -> [UInt8] {
        var x = input
        let at = below(x.count + 1)
        switch below(10) {
        case 0 where !x.isEmpty: x[min(at, x.count - 1)] ^= UInt8(1 << below(8))
        case 1 where !x.isEmpty: x[min(at, x.count - 1)] = [0, 1, 0x7f, 0x80, 0xff, 10, 13, 34, 44, 58, 9][below(11)]
        case 2, 3: x.insert(contentsOf: dictionary[below(dictionary.count)], at: at)
        case 4 where !x.isEmpty:
            // Replace a run of digits (or any run) by a token.
            let end = min(x.count, at + 1 + below(8))
            x.replaceSubrange(min(at, x.count - 1)..<end, with: dictionary[below(dictionary.count)])
        case 5 where !x.isEmpty:
            let end = min(x.count, at + below(64))
            x.removeSubrange(min(at, x.count)..<end)
        case 6 where !x.isEmpty:
            let start = below(x.count), end = min(x.count, start + 1 + below(128))
            let chunk = Array(x[start..<end])
            for _ in 0...below(3) { x.insert(contentsOf: chunk, at: min(at, x.count)) }
        case 7 where !other.isEmpty:
            let start = below(other.count), end = min(other.count, start + 1 + below(256))
            x.insert(contentsOf: other[start..<end], at: at)
        case 8 where !x.isEmpty: x = Array(x.prefix(below(x.count)))
        default:
            // A number somewhere becomes a large or odd one.
            let numbers: [String] = [
                "0", "-1", "4096", "65536", "2147483648", "1e15", "1e300", "-9e18", "1.0000001",
                "3e-310"
            ]
            x.insert(contentsOf: Array(numbers[below(numbers.count)].utf8), at: at)
        }
        return x
    }
}
