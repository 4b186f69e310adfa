/// Plain-text tables for people: a header row, aligned columns, two spaces apart.
public struct Table {
    /// Column titles.
    public var headers: [String]
    /// Rows of cells.
    public var rows: [[String]] = []
    /// Columns to right-align (numbers).
    public var rightAligned: Set<Int> = []

    /// Creates a table.
    public init(_ headers: [String], rightAligned: Set<Int> = []) {
        self.headers = headers
        self.rightAligned = rightAligned
    }

    /// Adds a row.
    public mutating func add(_ row: [String]) { rows.append(row) }

    /// The rendered text (no trailing newline).
    public var text: String {
        var widths = headers.map(\.count)
        for r in rows {
            for (i, c) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], c.count) }
        }
        func line(_ cells: [String]) -> String {
            var parts: [String] = []
            for (i, c) in cells.enumerated() {
                let pad = String(repeating: " ", count: max(0, widths[i] - c.count))
                parts.append(rightAligned.contains(i) ? pad + c : (i == cells.count - 1 ? c : c + pad))
            }
            return parts.joined(separator: "  ")
        }
        return ([line(headers)] + rows.map(line)).joined(separator: "\n")
    }
}

/// A `key: value` block, keys aligned.
public func keyValues(_ pairs: [(String, String)]) -> String {
    let w = pairs.map(\.0.count).max() ?? 0
    return pairs.map { $0.0 + ":" + String(repeating: " ", count: w - $0.0.count + 1) + $0.1 }.joined(separator: "\n")
}
