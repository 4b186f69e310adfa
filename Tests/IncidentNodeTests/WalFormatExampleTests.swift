import IncidentCore
import IncidentStorage
import Testing

@testable import IncidentNode

/// The worked example of Docs/wal-format.md §5.5, byte for byte: if this fails, the disk format
/// changed and the document (and a format version) must change with it.
@Suite struct WalFormatExampleTests {
    @Test func acknowledgedEventFramedAsOneRecord() {
        let event = IncidentEvent(
            id: EventID(origin: NodeID.author(node: NodeID("node1"), directoryTag: "6QF"), seq: 2),
            hlc: HLCTimestamp(wallMillis: 1_795_804_860_000, logical: 0), incident: IncidentID("INC-2026-0001-6QF"),
            actor: "alice", body: .acknowledged)
        var payload = ByteWriter(capacity: 64)
        payload.write(LogRecordKind.incidentEvent.rawValue)
        event.encode(into: &payload)
        var framed: [UInt8] = []
        payload.bytes.withUnsafeBytes { RecordFraming.appendRecord($0, to: &framed) }
        let documented = """
            2e 00 00 00 8c 5d 6f 2d 01 01 09 6e 6f 64 65 31 2f 36 51 46 02 00 00 60 8e 4f 1e a2 01
            11 49 4e 43 2d 32 30 32 36 2d 30 30 30 31 2d 36 51 46 05 61 6c 69 63 65 05
            """
        let expected = documented.split(whereSeparator: { $0 == " " || $0 == "\n" }).map { UInt8($0, radix: 16)! }
        #expect(framed == expected)
    }
}
