import Testing
import Foundation
@testable import RecbenchCore
import RecbenchTestSupport

/// python3 with NumPy, when the machine has it (the cross-check against NumPy's own reader).
let numpyPython: String? = {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin"
    let candidates = path.split(separator: ":").map { "\($0)/python3" } + ["/usr/bin/python3"]
    for p in candidates where FileManager.default.isExecutableFile(atPath: p) {
        let run = Process()
        run.executableURL = URL(fileURLWithPath: p)
        run.arguments = ["-c", "import numpy"]
        run.standardError = FileHandle.nullDevice
        guard (try? run.run()) != nil else { continue }
        run.waitUntilExit()
        if run.terminationStatus == 0 { return p }
    }
    return nil
}()

let gzipTool = ["/usr/bin/gzip", "/bin/gzip"].first { FileManager.default.isExecutableFile(atPath: $0) }

func output(of tool: String, _ arguments: [String]) throws -> (status: Int32, text: String) {
    let run = Process(), pipe = Pipe()
    run.executableURL = URL(fileURLWithPath: tool)
    run.arguments = arguments
    run.standardOutput = pipe
    try run.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    run.waitUntilExit()
    return (run.terminationStatus, String(decoding: data, as: UTF8.self))
}

@Suite struct NpyFileTests {
    /// The layout written out by hand: magic, version 1.0, header length 118 (little-endian), the dict
    /// padded with spaces to 10 + 118 = 128 bytes (a multiple of 64) ending in a newline, then the data.
    @Test func float32VectorMatchesTheHandBuiltBytes() {
        let dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }"
        var expected: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 0x01, 0x00, 118, 0]
        expected += Array(dict.utf8) + [UInt8](repeating: 0x20, count: 118 - dict.utf8.count - 1) + [0x0A]
        expected += [0x00, 0x00, 0x80, 0x3F]  // 1.0 = 0x3F800000
        expected += [0x00, 0x00, 0x20, 0xC0]  // -2.5 = 0xC0200000
        #expect(Array(NpyFile.encode(.float32([1, -2.5]), shape: [2])) == expected)
    }

    @Test func int32MatrixHeaderAndData() {
        let data = Array(NpyFile.encode(.int32([1, 2, 3, -1, 256, 7]), shape: [2, 3]))
        #expect(data.count == 128 + 24)
        let header = String(decoding: data[10..<128], as: UTF8.self)
        #expect(header.hasPrefix("{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }"))
        #expect(header.hasSuffix(" \n"))
        #expect(Array(data[128..<136]) == [1, 0, 0, 0, 2, 0, 0, 0])
        #expect(Array(data[140..<148]) == [0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x01, 0x00, 0x00])  // -1, 256
    }

    @Test func headerIsAMultipleOf64ForEveryShape() {
        for shape in [[0], [1], [12345678901], [3, 4], [1000000, 1000000], [2, 3, 4]] {
            let h = NpyFile.header(descr: "<i8", shape: shape)
            #expect(h.count % 64 == 0 && h.last == 0x0A)
            #expect(Int(h[8]) | Int(h[9]) << 8 == h.count - 10)
        }
    }

    @Test(.enabled(if: numpyPython != nil, "python3 with NumPy is not installed"))
    func numpyReadsTheFiles() throws {
        let folder = Scratch.path("recbench-npy")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try NpyFile.encode(.float32([0.5, -1, 3.25, 8, 0, 1e-3]), shape: [2, 3]).write(
            to: URL(fileURLWithPath: folder + "/f.npy"))
        try NpyFile.encode(.int32([7, -8, 9]), shape: [3]).write(to: URL(fileURLWithPath: folder + "/i.npy"))
        try NpyFile.encode(.int64([0, 5_000_000_000]), shape: [2]).write(to: URL(fileURLWithPath: folder + "/l.npy"))
        let script = """
            import numpy as np
            for n in ['f', 'i', 'l']:
                a = np.load('\(folder)/' + n + '.npy')
                print(a.dtype.str, a.shape, a.ravel().tolist())
            """
        let (status, text) = try output(of: numpyPython!, ["-c", script])
        #expect(status == 0)
        #expect(
            text.split(separator: "\n") == [
                "<f4 (2, 3) [0.5, -1.0, 3.25, 8.0, 0.0, 0.0010000000474974513]",
                "<i4 (3,) [7, -8, 9]",
                "<i8 (2,) [0, 5000000000]"
            ])
    }
}

@Suite struct GzipTests {
    @Test func roundTripsAndWritesAGzipMember() throws {
        let text = (0..<20000).map { "user\($0 % 97),\($0 % 10 + 1),item\($0 % 1013),0.\($0)\n" }.joined()
        let packed = try Gzip.compress(Data(text.utf8))
        #expect(Array(packed.prefix(3)) == [0x1F, 0x8B, 0x08])  // gzip magic, deflate
        #expect(packed.count < text.utf8.count / 3)
        #expect(try Gzip.decompress(packed) == Data(text.utf8))
        #expect(try Gzip.decompress(Gzip.compress(Data())) == Data())
        // Two members one after the other read as their concatenation (as `gzip -dc` does).
        let two = try Gzip.compress(Data("a\n".utf8)) + Gzip.compress(Data("b\n".utf8))
        #expect(try Gzip.decompress(two) == Data("a\nb\n".utf8))
        #expect(throws: (any Error).self) { try Gzip.decompress(Data("not gzip".utf8)) }
    }

    @Test(.enabled(if: gzipTool != nil, "gzip is not installed"))
    func gzipToolReadsIt() throws {
        let path = Scratch.path("recbench-gzip") + ".csv.gz"
        let text = "user,rank,item,score\n" + (1...5000).map { "u,\($0),i\($0),\(Float($0) / 7)\n" }.joined()
        try Gzip.compress(Data(text.utf8)).write(to: URL(fileURLWithPath: path))
        let (status, out) = try output(of: gzipTool!, ["-dc", path])
        #expect(status == 0 && out == text)
    }
}
