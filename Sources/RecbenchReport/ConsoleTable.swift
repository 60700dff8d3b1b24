/// A table laid out for a terminal: columns right-aligned after a left-aligned label column, and, when the
/// whole table is wider than the terminal, the value columns split over several tables (in order), each
/// repeating the label column, so no line wraps.
public enum ConsoleTable {
    static let gap = 2

    /// `width`: the terminal's columns, or nil for one table however wide.
    public static func render(header: [String], rows: [[String]], width: Int?) -> String {
        guard !header.isEmpty else { return "" }
        var labels = [header[0]] + rows.map { $0[0] }
        let widths = header.indices.map { c in ([header[c]] + rows.map { $0[c] }).map(\.count).max()! }
        let valueColumns = Array(header.indices.dropFirst())
        var labelWidth = widths[0]
        if let width, let widest = valueColumns.map({ widths[$0] }).max(), labelWidth + gap + widest > width {
            // Even one value column does not fit beside the labels: shorten the labels, keeping their start.
            labelWidth = max(8, width - gap - widest)
            labels = labels.map { $0.count > labelWidth ? String($0.prefix(labelWidth - 1)) + "…" : $0 }
        }
        // Greedy parts: as many consecutive columns as fit beside the label column.
        var parts = [[Int]](), current = [Int](), used = labelWidth
        for c in valueColumns {
            if let width, !current.isEmpty, used + gap + widths[c] > width {
                parts.append(current); current = []; used = labelWidth
            }
            current.append(c); used += gap + widths[c]
        }
        if !current.isEmpty || parts.isEmpty { parts.append(current) }

        func pad(_ s: String, _ w: Int, left: Bool) -> String {
            let fill = String(repeating: " ", count: max(0, w - s.count))
            return left ? s + fill : fill + s
        }
        let table = [header] + rows
        return parts.map { columns in
            var lines = [String]()
            for (r, row) in table.enumerated() {
                let cells =
                    [pad(labels[r], labelWidth, left: true)]
                    + columns.map { pad(row[$0], widths[$0], left: false) }
                lines.append(cells.joined(separator: String(repeating: " ", count: gap)))
                if r == 0 {
                    lines.append(
                        ([labelWidth] + columns.map { widths[$0] }).map { String(repeating: "─", count: $0) }
                            .joined(separator: String(repeating: " ", count: gap)))
                }
            }
            return lines.map { $0 + "\n" }.joined()
        }.joined(separator: "\n")
    }
}
