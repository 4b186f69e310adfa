/// Splits a byte stream into newline-delimited frames with a size limit.
///
/// Feed it whatever `read` returned; it hands back complete lines (without `\n` or a trailing `\r`),
/// skipping blank ones. A line longer than `lineBytesMax` — complete or still arriving — ends the
/// stream with `.tooLarge`: the connection is answered `too_large` and closed (SPEC §4).
public struct LineFramer: Sendable {
    /// Longest line accepted.
    public let lineBytesMax: Int
    private var buffer: [UInt8] = []
    private var scanFrom = 0

    /// Creates a framer.
    public init(lineBytesMax: Int) {
        self.lineBytesMax = lineBytesMax
    }

    /// What one chunk of input produced.
    public enum Output: Equatable, Sendable {
        /// Zero or more complete lines.
        case lines([[UInt8]])
        /// Complete lines before the first over-long one; nothing after it is read.
        case tooLarge(before: [[UInt8]])
    }

    /// Bytes held for an incomplete line.
    public var bufferedBytes: Int { buffer.count }

    /// At end of input: the incomplete last line (if it is not blank), which is then dropped.
    public mutating func finish() -> [UInt8]? {
        defer {
            buffer.removeAll()
            scanFrom = 0
        }
        var lines: [[UInt8]] = []
        buffer.withUnsafeBytes { appendLine($0, 0, $0.count, to: &lines) }
        return lines.first
    }

    /// Adds input and returns the complete lines.
    public mutating func feed(_ chunk: UnsafeRawBufferPointer) -> Output {
        var lines: [[UInt8]] = []
        var start = 0
        // Fast path: nothing buffered — cut lines straight from the chunk.
        if buffer.isEmpty {
            var i = 0
            let n = chunk.count
            while i < n {
                if chunk[i] == 10 {
                    if i - start - (i > start && chunk[i - 1] == 13 ? 1 : 0) > lineBytesMax { return .tooLarge(before: lines) }
                    appendLine(chunk, start, i, to: &lines)
                    start = i + 1
                }
                i += 1
            }
            if partialTooLong(n - start, last: n > start ? chunk[n - 1] : 0) { return .tooLarge(before: lines) }
            if start < n { buffer.append(contentsOf: chunk[start..<n]) }
            scanFrom = buffer.count
            return .lines(lines)
        }
        buffer.append(contentsOf: chunk)
        var i = scanFrom
        while i < buffer.count {
            if buffer[i] == 10 {
                if i - start - (i > start && buffer[i - 1] == 13 ? 1 : 0) > lineBytesMax { return .tooLarge(before: lines) }
                buffer.withUnsafeBytes { appendLine($0, start, i, to: &lines) }
                start = i + 1
            }
            i += 1
        }
        if partialTooLong(buffer.count - start, last: buffer.last ?? 0) { return .tooLarge(before: lines) }
        buffer.removeFirst(start)
        scanFrom = buffer.count
        return .lines(lines)
    }

    /// A partial line is over the limit unless its one extra byte is the `\r` of a CRLF.
    private func partialTooLong(_ length: Int, last: UInt8) -> Bool {
        length > lineBytesMax + 1 || (length == lineBytesMax + 1 && last != 13)
    }

    private func appendLine(_ b: UnsafeRawBufferPointer, _ start: Int, _ end: Int, to lines: inout [[UInt8]]) {
        var e = end
        if e > start, b[e - 1] == 13 { e -= 1 }
        var blank = true
        for j in start..<e where b[j] != 32 && b[j] != 9 {
            blank = false
            break
        }
        if !blank { lines.append(Array(b[start..<e])) }
    }
}
