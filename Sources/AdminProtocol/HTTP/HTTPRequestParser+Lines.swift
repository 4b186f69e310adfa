// MARK: - Lines

extension HTTPRequestParser {
    /// Which line the parser is waiting for; it decides the error for an over-long one.
    enum LineKind {
        case requestLine
        case header
        case chunkSize
        case chunkDataEnd
    }

    /// The next complete line from `pos` (without LF or a CR before it), advancing `pos` past it.
    ///
    /// A line longer than `max` is an error as soon as that is certain — complete, or unfinished and
    /// already longer than `max` plus one byte that could be the CR of a CRLF — so a line split across
    /// chunks fails exactly as it would whole.
    /// - Returns: The line's range in `buffer`, or nil when more input is needed.
    mutating func nextLine(_ pos: inout Int, max: Int, kind: LineKind) throws(HTTPParseError) -> Range<Int>? {
        var i = Swift.max(scanFrom, pos)
        let n = buffer.count
        while i < n, buffer[i] != HTTPSyntax.lf { i += 1 }
        guard i < n else {
            scanFrom = n
            let length = n - pos
            if length - 1 > max || (length - 1 == max && buffer[n - 1] != HTTPSyntax.cr) {
                throw lineTooLong(kind, start: pos, max: max)
            }
            return nil
        }
        let end = i > pos && buffer[i - 1] == HTTPSyntax.cr ? i - 1 : i
        if end - pos > max { throw lineTooLong(kind, start: pos, max: max) }
        let line = pos..<end
        pos = i + 1
        scanFrom = pos
        return line
    }

    /// The error for a line over its limit.
    ///
    /// It quotes the line's first bytes — only as many as are sure to be buffered however the input
    /// was split (at least `max + 1`), so the message does not depend on the split.
    private func lineTooLong(_ kind: LineKind, start: Int, max: Int) -> HTTPParseError {
        let text = HTTPSyntax.describe(buffer[start..<start + Swift.min(max, 31) + 1]) + "…"
        switch kind {
        case .requestLine:
            return HTTPParseError(
                status: 414,
                message: "request line '\(text)' is longer than \(limits.requestLineBytesMax) bytes"
            )
        case .header:
            return HTTPParseError(
                status: 431,
                message: "header section is longer than \(limits.headerBytesMax) bytes at line '\(text)'"
            )
        case .chunkSize:
            return .badRequest("chunk-size line '\(text)' is longer than \(limits.chunkLineBytesMax) bytes")
        case .chunkDataEnd:
            return .badRequest("chunk data is followed by '\(text)', not CRLF")
        }
    }
}
