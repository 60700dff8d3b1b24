import Foundation
import RecbenchCore

public enum DatasetExport {
    /// `user \t item \t rating \t timestamp` with external IDs and a header line, in file order;
    /// the timestamp field is empty when the data has none. Written to a temp file, then renamed.
    public static func writeTSV(_ d: Dataset, to path: String) throws {
        let temp = path + ".tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: temp, contents: nil),
            let h = FileHandle(forWritingAtPath: temp)
        else { throw RecbenchError.io(temp, "cannot create") }
        var buffer = [UInt8]()
        buffer.reserveCapacity(1 << 20)
        do {
            buffer.append(contentsOf: "user\titem\trating\ttimestamp\n".utf8)
            for p in 0..<d.count {
                buffer.append(contentsOf: d.userIDs.id(at: d.users[p]).utf8); buffer.append(9)
                buffer.append(contentsOf: d.itemIDs.id(at: d.items[p]).utf8); buffer.append(9)
                let v = d.values[p]
                buffer.append(contentsOf: (v == v.rounded() && abs(v) < 1e9 ? String(Int(v)) : "\(v)").utf8);
                buffer.append(9)
                if let ts = d.timestamps { buffer.append(contentsOf: String(ts[p]).utf8) }
                buffer.append(10)
                if buffer.count >= 1 << 20 { try h.write(contentsOf: buffer); buffer.removeAll(keepingCapacity: true) }
            }
            try h.write(contentsOf: buffer)
            try h.close()
        } catch {
            try? h.close(); try? FileManager.default.removeItem(atPath: temp)
            throw RecbenchError.io(path, "write failed: \(error.localizedDescription)")
        }
        if rename(temp, path) != 0 {
            let message = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: temp)
            throw RecbenchError.io(path, "cannot rename into place: \(message)")
        }
    }
}
