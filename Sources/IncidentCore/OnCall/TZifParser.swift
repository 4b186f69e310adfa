// MARK: - Reading TZif bytes (RFC 8536)

/// What a TZif file says, checked: transition instants, the offset each one switches to, the
/// offset before the first transition, and the footer rule for instants after the last.
struct TZifContents: Sendable {
    /// Transition instants (seconds since the epoch), strictly ascending.
    var transitions: [Int64] = []
    /// Seconds east of UTC from each transition on (same count as `transitions`).
    var offsets: [Int] = []
    /// Seconds east of UTC before the first transition (local time type 0).
    var initialOffset = 0
    /// The footer rule (v2+), nil when absent or empty.
    var rule: PosixTZRule? = nil
}

/// Parses TZif version 1, 2, 3 (and 4) bytes. Uses the 64-bit second data block and the footer
/// when the version has them. Leap-second records are checked for size and skipped (zones in
/// `/usr/share/zoneinfo` carry none; offsets here are civil UTC offsets).
/// Every count and index is checked, so hostile bytes throw instead of trapping.
struct TZifParser {
    private let bytes: [UInt8]
    private let name: String
    private var offset = 0

    init(bytes: [UInt8], name: String) {
        self.bytes = bytes
        self.name = name
    }

    private struct Header {
        var version: UInt8
        var isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt: Int
    }

    mutating func parse() throws(DomainError) -> TZifContents {
        let first = try header()
        guard first.version >= UInt8(ascii: "2") else { return try dataBlock(first, timeSize: 4) }
        try skip(blockSize(first, timeSize: 4), "version 1 data block")
        let second = try header()
        var contents = try dataBlock(second, timeSize: 8)
        contents.rule = try footer()
        return contents
    }

    private func error(_ what: String) -> DomainError {
        .badRequest("time zone file '\(name)' is malformed: \(what) at byte \(offset)")
    }

    private mutating func header() throws(DomainError) -> Header {
        guard bytes.count - offset >= 44 else {
            throw error("truncated header: need 44 bytes, have \(bytes.count - offset)")
        }
        guard bytes[offset..<(offset + 4)].elementsEqual("TZif".utf8) else { throw error("missing 'TZif' magic") }
        let version = bytes[offset + 4]
        guard version == 0 || (version >= UInt8(ascii: "2") && version <= UInt8(ascii: "4")) else {
            throw error("unknown version byte \(version)")
        }
        offset += 20
        var counts: [Int] = []
        for _ in 0..<6 { counts.append(Int(try uint32())) }
        let h = Header(
            version: version, isutcnt: counts[0], isstdcnt: counts[1], leapcnt: counts[2], timecnt: counts[3],
            typecnt: counts[4], charcnt: counts[5])
        guard h.typecnt >= 1 else { throw error("typecnt is 0; at least one local time type is required") }
        guard h.charcnt >= 1 else { throw error("charcnt is 0; at least one designation byte is required") }
        guard h.isutcnt == 0 || h.isutcnt == h.typecnt else {
            throw error("isutcnt \(h.isutcnt) is neither 0 nor typecnt \(h.typecnt)")
        }
        guard h.isstdcnt == 0 || h.isstdcnt == h.typecnt else {
            throw error("isstdcnt \(h.isstdcnt) is neither 0 nor typecnt \(h.typecnt)")
        }
        return h
    }

    private func blockSize(_ h: Header, timeSize: Int) -> Int {
        h.timecnt * (timeSize + 1) + h.typecnt * 6 + h.charcnt + h.leapcnt * (timeSize + 4) + h.isstdcnt + h.isutcnt
    }

    private mutating func dataBlock(_ h: Header, timeSize: Int) throws(DomainError) -> TZifContents {
        let size = blockSize(h, timeSize: timeSize)
        guard bytes.count - offset >= size else {
            throw error("truncated data block: need \(size) bytes, have \(bytes.count - offset)")
        }
        var times: [Int64] = []
        times.reserveCapacity(h.timecnt)
        for _ in 0..<h.timecnt {
            let t = timeSize == 4 ? Int64(Int32(bitPattern: try uint32())) : Int64(bitPattern: try uint64())
            if let last = times.last, t <= last { throw error("transition times are not ascending") }
            times.append(t)
        }
        var indices: [Int] = []
        indices.reserveCapacity(h.timecnt)
        for _ in 0..<h.timecnt {
            let i = Int(bytes[offset])
            guard i < h.typecnt else { throw error("transition type index \(i) is not below typecnt \(h.typecnt)") }
            indices.append(i)
            offset += 1
        }
        var typeOffsets: [Int] = []
        for _ in 0..<h.typecnt {
            let utoff = Int32(bitPattern: try uint32())
            guard utoff != Int32.min else { throw error("UT offset -2^31 is not allowed") }
            guard abs(Int(utoff)) <= 26 * 3600 else { throw error("UT offset \(utoff) s is beyond ±26 hours") }
            guard bytes[offset] <= 1 else { throw error("isdst byte \(bytes[offset]) is neither 0 nor 1") }
            guard Int(bytes[offset + 1]) < h.charcnt else {
                throw error("designation index \(bytes[offset + 1]) is not below charcnt \(h.charcnt)")
            }
            offset += 2
            typeOffsets.append(Int(utoff))
        }
        offset += h.charcnt + h.leapcnt * (timeSize + 4) + h.isstdcnt + h.isutcnt
        return TZifContents(
            transitions: times, offsets: indices.map { typeOffsets[$0] }, initialOffset: typeOffsets[0], rule: nil)
    }

    private mutating func footer() throws(DomainError) -> PosixTZRule? {
        guard offset < bytes.count, bytes[offset] == 10 else { throw error("missing footer newline") }
        guard let end = bytes[(offset + 1)...].firstIndex(of: 10) else { throw error("unterminated footer") }
        let text = String(decoding: bytes[(offset + 1)..<end], as: UTF8.self)
        offset = end + 1
        do { return try PosixTZRule(parsing: text) } catch {
            throw self.error("footer: \(error.message)")
        }
    }

    private mutating func skip(_ n: Int, _ what: String) throws(DomainError) {
        guard bytes.count - offset >= n else {
            throw error("truncated \(what): need \(n) bytes, have \(bytes.count - offset)")
        }
        offset += n
    }

    private mutating func uint32() throws(DomainError) -> UInt32 {
        guard bytes.count - offset >= 4 else { throw error("truncated 32-bit field") }
        var v: UInt32 = 0
        for i in 0..<4 { v = v << 8 | UInt32(bytes[offset + i]) }
        offset += 4
        return v
    }

    private mutating func uint64() throws(DomainError) -> UInt64 {
        guard bytes.count - offset >= 8 else { throw error("truncated 64-bit field") }
        var v: UInt64 = 0
        for i in 0..<8 { v = v << 8 | UInt64(bytes[offset + i]) }
        offset += 8
        return v
    }
}
