/// The log's files: a sequence of segments, each starting with a header naming its first LSN.
///
/// Synchronous and single-owner: recovery runs it before the node serves; afterwards only the
/// `EventLog` writer thread touches it. LSNs (log sequence numbers) number records 1, 2, 3 … across
/// segments, so "everything up to LSN n" is a prefix of the log.
///
/// The segment being written is extended with zeros `preallocationBytes` (4 MiB) at a time, ahead of the
/// records, when the batches are small (`smallBatchBytes`): an `fdatasync` of records written over
/// zeros the file already holds changes no file
/// metadata, so it needs no journal commit (measured here: 140–150 µs against 185–225 µs per
/// append-and-sync that grows the file). A zero record header ends the records; recovery cuts
/// the zero tail off the last segment, and a segment is cut to its last record when it is sealed.
final class SegmentedLog: @unchecked Sendable {
    // @unchecked: used by recovery before the writer thread starts, then only by that thread.
    let fs: any LogFileSystem
    let segmentBytesMax: Int
    private var current: (any LogFileHandle)?
    private var currentName = ""
    private var currentSize = 0
    /// Bytes of the current segment already in the file (records, then zeros).
    private var preparedSize = 0
    /// How far ahead of the records the current segment is extended with zeros.
    let preallocationBytes: Int
    /// Only batches smaller than this write zeros ahead: their fsync is dominated by its fixed cost,
    /// which the zeros cut. A large batch's fsync is dominated by its bytes, and zeros written
    /// ahead of it are written to disk twice (with zeros ahead of every batch, a storm of
    /// 1,000-alert batches was about 15 % slower).
    static let smallBatchBytes = 16 << 10
    private static let zeros = [UInt8](repeating: 0, count: 1 << 20)
    /// First LSN of each segment, by file name, in order.
    private(set) var segments: [(name: String, firstLSN: UInt64)] = []
    /// The LSN the next record gets.
    private(set) var nextLSN: UInt64 = 1

    init(fs: any LogFileSystem, segmentBytesMax: Int, preallocationBytes: Int = 4 << 20) {
        self.fs = fs
        self.segmentBytesMax = segmentBytesMax
        self.preallocationBytes = max(0, preallocationBytes)
    }

    static func segmentName(_ firstLSN: UInt64) -> String {
        let digits = String(firstLSN)
        return "segment-" + String(repeating: "0", count: max(0, 20 - digits.count)) + digits + ".log"
    }

    /// Reads every segment, hands each record with LSN > `after` to `visit`, truncates a torn tail
    /// of the last segment, and opens it for appending.
    /// - Throws: `LogError.corrupt` for damage anywhere but the tail, or a gap in the LSNs.
    func recover(after: UInt64, visit: (UInt64, UnsafeRawBufferPointer) throws -> Void) throws -> RecoveryReport {
        var report = RecoveryReport()
        let names = try fs.list().filter { $0.hasPrefix("segment-") && $0.hasSuffix(".log") }
        var expected: UInt64?
        for (index, name) in names.enumerated() {
            let isLast = index == names.count - 1
            let bytes = try fs.read(name)
            var lsn: UInt64 = 0
            var end = RecordFraming.ScanEnd.clean
            try bytes.withUnsafeBytes { b in
                guard let first = RecordFraming.parseSegmentHeader(b) else {
                    if isLast && b.count < RecordFraming.segmentHeaderBytes {
                        end = .torn(offset: 0)  // crashed while creating the segment
                        return
                    }
                    throw LogError.corrupt(file: name, offset: 0, reason: "bad segment header")
                }
                if let e = expected, first != e {
                    throw LogError.corrupt(file: name, offset: 0, reason: "segment starts at LSN \(first), expected \(e)")
                }
                if expected == nil, first > after + 1 {
                    throw LogError.corrupt(
                        file: name, offset: 0,
                        reason: "records \(after + 1)…\(first - 1) are missing (no snapshot covers them)")
                }
                lsn = first
                segments.append((name, first))
                end = try RecordFraming.scan(b, from: RecordFraming.segmentHeaderBytes) { payload in
                    if lsn > after { try visit(lsn, payload) }
                    report.records += 1
                    lsn += 1
                }
            }
            switch end {
            case .clean:
                break
            case .corrupt(let offset, let reason):
                throw LogError.corrupt(file: name, offset: offset, reason: reason)
            case .torn(let offset):
                guard isLast else {
                    throw LogError.corrupt(file: name, offset: offset, reason: "damaged record in a sealed segment")
                }
                // Zeros after the last written byte are the space `prepare` wrote ahead of the
                // records, not a torn write.
                let torn = offset == 0 ? bytes.count : (bytes[offset...].lastIndex { $0 != 0 }.map { $0 + 1 - offset } ?? 0)
                report.preallocatedBytes = bytes.count - offset - torn
                if torn > 0 {
                    report.truncatedBytes = torn
                    report.truncatedAt = (name, offset)
                }
                if offset == 0 {
                    try fs.remove(name)
                    try fs.syncDirectory()
                } else {
                    let h = try fs.open(name, create: false)
                    try h.truncate(to: offset)
                    try h.sync()
                }
            }
            if segments.last?.name == name {
                expected = lsn
                nextLSN = lsn
            }
        }
        if after > 0, nextLSN <= after + 1, !segments.isEmpty {
            // Every record in the log is covered by the snapshot (e.g. a snapshot installed ahead of
            // the log): drop the segments so new records start a segment at after + 1.
            for s in segments { try fs.remove(s.name) }
            try fs.syncDirectory()
            segments = []
        }
        nextLSN = max(nextLSN, after + 1)
        if let last = segments.last {
            current = try fs.open(last.name, create: false)
            currentName = last.name
            currentSize = try current!.size()
            preparedSize = currentSize
        }
        report.segments = segments.count
        report.nextLSN = nextLSN
        return report
    }

    /// Writes framed records `firstLSN…firstLSN+count-1` at the end (not yet synced).
    func append(_ framed: [UInt8], firstLSN: UInt64, count: Int) throws {
        precondition(firstLSN == nextLSN, "append at LSN \(firstLSN), log is at \(nextLSN)")
        if current == nil || (currentSize > RecordFraming.segmentHeaderBytes && currentSize + framed.count > segmentBytesMax) {
            try rotate(firstLSN: firstLSN)
        }
        if currentSize + framed.count > preparedSize {
            if framed.count < Self.smallBatchBytes {
                try prepare(upTo: currentSize + framed.count)
            } else {
                preparedSize = currentSize + framed.count  // a large batch extends the file itself
            }
        }
        try framed.withUnsafeBytes { try current!.write($0, at: currentSize) }
        currentSize += framed.count
        nextLSN += UInt64(count)
    }

    /// Makes everything written durable.
    func sync() throws {
        try current?.sync()
    }

    /// How many bytes of zeros the writer should add ahead of the records while it is idle: once
    /// fewer than half of `preallocationBytes` are left, enough to have them all again (not past
    /// the segment size); all of them when there is no segment yet.
    var zerosAheadWanted: Int {
        guard preallocationBytes > 0 else { return 0 }
        guard current != nil else { return preallocationBytes }
        let ahead = preparedSize - currentSize
        guard ahead < preallocationBytes / 2 else { return 0 }
        return max(0, min(currentSize + preallocationBytes, segmentBytesMax) - preparedSize)
    }

    /// Writes up to `bytes` of zeros ahead of the records, starting the first segment if there is
    /// none. The next `sync` makes them durable; an append's sync then changes no file metadata.
    func prepareAhead(bytes: Int) throws {
        if current == nil { try rotate(firstLSN: nextLSN) }
        try writeZeros(upTo: preparedSize + bytes)
    }

    /// Extends the current segment with zeros to at least `end`, by `preallocationBytes` (not
    /// past the segment size unless the records need it). The next `sync` makes them durable.
    private func prepare(upTo end: Int) throws {
        try writeZeros(upTo: max(end, min(preparedSize + preallocationBytes, segmentBytesMax)))
    }

    /// Writes zeros after the prepared bytes of the current segment up to `target`.
    private func writeZeros(upTo target: Int) throws {
        while preparedSize < target {
            let n = min(Self.zeros.count, target - preparedSize)
            try Self.zeros.withUnsafeBytes { try current!.write(UnsafeRawBufferPointer(rebasing: $0[0..<n]), at: preparedSize) }
            preparedSize += n
        }
    }

    /// Cuts the zeros after the records off the current segment and syncs it: a sealed segment,
    /// and every segment after a clean shutdown, ends with its last record.
    func seal() throws {
        guard let h = current else { return }
        if preparedSize > currentSize {
            try h.truncate(to: currentSize)
            preparedSize = currentSize
        }
        try h.sync()
    }

    private func rotate(firstLSN: UInt64) throws {
        try seal()
        let name = Self.segmentName(firstLSN)
        let h = try fs.open(name, create: true)
        let header = RecordFraming.segmentHeader(firstLSN: firstLSN)
        try h.truncate(to: 0)
        try header.withUnsafeBytes { try h.write($0, at: 0) }
        try h.sync()
        try fs.syncDirectory()
        current = h
        currentName = name
        currentSize = header.count
        preparedSize = header.count
        segments.append((name, firstLSN))
    }

    /// Deletes segments whose records are all ≤ `lsn` (covered by a snapshot). The current segment stays.
    func compact(upTo lsn: UInt64) throws -> Int {
        var removed = 0
        while segments.count > 1, segments[1].firstLSN <= lsn + 1 {
            try fs.remove(segments[0].name)
            segments.removeFirst()
            removed += 1
        }
        if removed > 0 { try fs.syncDirectory() }
        return removed
    }
}

/// What recovery found.
public struct RecoveryReport: Sendable, Equatable {
    /// Records read (all segments).
    public var records = 0
    /// Segments found.
    public var segments = 0
    /// Bytes cut from a torn tail (a record whose write was interrupted).
    public var truncatedBytes = 0
    /// Zeros cut after the last record (space written ahead of the records).
    public var preallocatedBytes = 0
    /// Where the tail was cut.
    public var truncatedAt: (file: String, offset: Int)?
    /// The LSN the next record gets.
    public var nextLSN: UInt64 = 1

    public static func == (lhs: RecoveryReport, rhs: RecoveryReport) -> Bool {
        lhs.records == rhs.records && lhs.segments == rhs.segments && lhs.truncatedBytes == rhs.truncatedBytes
            && lhs.preallocatedBytes == rhs.preallocatedBytes
            && lhs.truncatedAt?.file == rhs.truncatedAt?.file && lhs.truncatedAt?.offset == rhs.truncatedAt?.offset
            && lhs.nextLSN == rhs.nextLSN
    }
}
