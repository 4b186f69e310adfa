/// Why bytes could not be decoded: where, and what was wrong.
public struct BinaryDecodingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Offset in the decoded buffer.
    public var offset: Int
    /// What was wrong.
    public var message: String

    /// Creates an error.
    public init(offset: Int, message: String) {
        self.offset = offset
        self.message = message
    }

    public var description: String { "\(message) at byte \(offset)" }
}

/// Reads what `ByteWriter` wrote, checking every bound; never traps on hostile input.
public struct ByteReader {
    /// The buffer; must outlive the reader (use inside `withUnsafeBytes`).
    public let buffer: UnsafeRawBufferPointer
    /// Next byte to read.
    public var offset: Int

    /// Creates a reader at `offset`.
    public init(_ buffer: UnsafeRawBufferPointer, offset: Int = 0) {
        self.buffer = buffer
        self.offset = offset
    }

    /// Bytes left.
    @inlinable public var remaining: Int { buffer.count - offset }

    @inlinable func need(_ n: Int, _ what: StaticString) throws(BinaryDecodingError) {
        if n > remaining || n < 0 {
            throw BinaryDecodingError(offset: offset, message: "truncated \(what): need \(n) bytes, have \(remaining)")
        }
    }

    /// One byte.
    @inlinable public mutating func readUInt8() throws(BinaryDecodingError) -> UInt8 {
        try need(1, "byte")
        defer { offset += 1 }
        return buffer[offset]
    }

    /// Four bytes, little-endian.
    @inlinable public mutating func readUInt32() throws(BinaryDecodingError) -> UInt32 {
        try need(4, "u32")
        defer { offset += 4 }
        return UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    /// Eight bytes, little-endian.
    @inlinable public mutating func readUInt64() throws(BinaryDecodingError) -> UInt64 {
        try need(8, "u64")
        defer { offset += 8 }
        return UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    /// An unsigned LEB128 varint.
    @inlinable public mutating func readVarint() throws(BinaryDecodingError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        let start = offset
        while true {
            guard offset < buffer.count else {
                throw BinaryDecodingError(offset: start, message: "truncated varint")
            }
            let b = buffer[offset]
            offset += 1
            if shift == 63, b > 1 { throw BinaryDecodingError(offset: start, message: "varint overflows 64 bits") }
            result |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return result }
            shift += 7
            if shift > 63 { throw BinaryDecodingError(offset: start, message: "varint longer than 10 bytes") }
        }
    }

    /// A varint that must fit `limit`.
    /// (`limit` is evaluated before the varint is read; callers bounding by `remaining` get the
    /// bytes left including the varint itself, which is always a safe over-estimate for counts.)
    @inlinable public mutating func readCount(max limit: Int, _ what: StaticString) throws(BinaryDecodingError) -> Int {
        let start = offset
        let v = try readVarint()
        guard v <= UInt64(limit) else {
            throw BinaryDecodingError(offset: start, message: "\(what) \(v) exceeds limit \(limit)")
        }
        return Int(v)
    }

    /// A zigzag-encoded signed integer.
    @inlinable public mutating func readSigned() throws(BinaryDecodingError) -> Int64 {
        let v = try readVarint()
        return Int64(bitPattern: (v >> 1) ^ (0 &- (v & 1)))
    }

    /// A length-prefixed UTF-8 string (invalid UTF-8 is repaired, never trusted).
    @inlinable public mutating func readString() throws(BinaryDecodingError) -> String {
        let start = offset
        let length = try readVarint()
        guard length <= UInt64(remaining) else {
            throw BinaryDecodingError(offset: start, message: "truncated string: length \(length) runs past the end (\(remaining) bytes left)")
        }
        let n = Int(length)
        defer { offset += n }
        return String(decoding: UnsafeRawBufferPointer(rebasing: buffer[offset..<(offset + n)]), as: UTF8.self)
    }

    /// A boolean byte (0 or 1).
    @inlinable public mutating func readBool() throws(BinaryDecodingError) -> Bool {
        let b = try readUInt8()
        guard b <= 1 else { throw BinaryDecodingError(offset: offset - 1, message: "boolean byte \(b) is not 0 or 1") }
        return b == 1
    }

    /// A timestamp.
    @inlinable public mutating func readTimestamp() throws(BinaryDecodingError) -> Timestamp {
        Timestamp(unixMillis: try readSigned())
    }

    /// An optional timestamp.
    @inlinable public mutating func readOptionalTimestamp() throws(BinaryDecodingError) -> Timestamp? {
        try readBool() ? try readTimestamp() : nil
    }

    /// A double.
    @inlinable public mutating func readDouble() throws(BinaryDecodingError) -> Double {
        Double(bitPattern: try readUInt64())
    }

    /// A count and that many strings.
    @inlinable public mutating func readStrings(max limit: Int = 4096) throws(BinaryDecodingError) -> [String] {
        let n = try readCount(max: min(limit, remaining), "list length")
        var out: [String] = []
        out.reserveCapacity(n)
        for _ in 0..<n { out.append(try readString()) }
        return out
    }

    /// An index into a code table.
    @inlinable public mutating func readCode<T>(_ table: [T], _ what: StaticString) throws(BinaryDecodingError) -> T {
        let at = offset
        let b = Int(try readUInt8())
        guard b < table.count else { throw BinaryDecodingError(offset: at, message: "unknown \(what) code \(b)") }
        return table[b]
    }
}
