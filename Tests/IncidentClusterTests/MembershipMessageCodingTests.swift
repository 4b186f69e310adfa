import IncidentCore
import IncidentSimulation
import Testing

@testable import IncidentCluster

@Suite("Membership message binary coding")
struct MembershipMessageCodingTests {
    static let a = Member(
        node: NodeID("node-a"), address: "10.0.0.1:7946", region: "eu-west", state: .alive, incarnation: 0)
    static let b = Member(
        node: NodeID("node_b.2"), address: "[::1]:7946", region: "us", state: .suspect, incarnation: 300)
    static let c = Member(node: NodeID("C"), address: "h:1", region: "ap", state: .dead, incarnation: UInt64.max)
    static let d = Member(
        node: NodeID("d"), address: "d.example:65535", region: "local", state: .left, incarnation: 1 << 40)

    /// One message of every kind, including empty lists and extreme numbers.
    static let samples: [MembershipMessage] = [
        .ping(sequence: 0, updates: []),
        .ping(sequence: 1, updates: [a, b, c, d]),
        .ack(sequence: UInt64.max, updates: [b]),
        .ack(sequence: 77, updates: []),
        .pingRequest(sequence: 12_345, target: b, updates: [a, c]),
        .pingRequest(sequence: 1, target: d, updates: []),
        .nack(sequence: 9),
        .join(a),
        .joinReply(members: [a, b, c, d]),
        .joinReply(members: []),
        .leave(d),
        .gossip(updates: [c, a]),
        .gossip(updates: []),
    ]

    @Test("every message kind round-trips", arguments: samples)
    func roundTrip(_ message: MembershipMessage) throws {
        let bytes = message.encoded
        #expect(try MembershipMessage(decoding: bytes) == message)
    }

    @Test("every truncation throws; trailing bytes throw", arguments: samples)
    func truncationsThrow(_ message: MembershipMessage) {
        let bytes = message.encoded
        for length in 0..<bytes.count {
            #expect(throws: BinaryDecodingError.self, "prefix of \(length) of \(bytes.count) bytes") {
                try MembershipMessage(decoding: Array(bytes.prefix(length)))
            }
        }
        #expect(throws: BinaryDecodingError.self) { try MembershipMessage(decoding: bytes + [0]) }
    }

    @Test("a member list of exactly membersMax round-trips; the encoder trims longer lists")
    func listBounds() throws {
        let many = (0..<MembershipMessage.membersMax).map {
            Member(node: NodeID("n\($0)"), address: "10.0.\($0 / 256).\($0 % 256):7946", incarnation: UInt64($0))
        }
        let full = MembershipMessage.joinReply(members: many)
        #expect(try MembershipMessage(decoding: full.encoded) == full)
        let over = MembershipMessage.joinReply(members: many + [Self.a])
        #expect(try MembershipMessage(decoding: over.encoded) == full)
    }

    /// Hand-made hostile encodings and the words their error must contain.
    static let hostile: [(String, [UInt8], String)] = [
        ("empty", [], "truncated"),
        ("unknown type", [0], "unknown membership message type"),
        ("unknown type 9", [9, 0], "unknown membership message type"),
        ("count over the limit", [8] + varint(1025), "exceeds limit"),
        ("count larger than the bytes", [8, 0x7f], "exceeds limit"),
        ("huge varint", [4, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], "varint"),
        ("empty node id", [5, 0, 3, 0x61, 0x3a, 0x31, 1, 0x72, 0, 0], "node id"),
        ("node id with a space", [5, 2, 0x61, 0x20, 3, 0x61, 0x3a, 0x31, 1, 0x72, 0, 0], "node id"),
        ("empty address", [5, 1, 0x61, 0, 1, 0x72, 0, 0], "address"),
        ("empty region", [5, 1, 0x61, 1, 0x68, 0, 0, 0], "region"),
        ("unknown state", [5, 1, 0x61, 1, 0x68, 1, 0x72, 4, 0], "state"),
        ("string longer than the buffer", [5, 0x40, 0x61], "truncated"),
    ]

    static func varint(_ v: UInt64) -> [UInt8] {
        var w = ByteWriter()
        w.writeVarint(v)
        return w.bytes
    }

    @Test("hostile bytes give a BinaryDecodingError naming the problem", arguments: hostile)
    func hostileBytes(_ label: String, bytes: [UInt8], words: String) {
        do {
            let message = try MembershipMessage(decoding: bytes)
            Issue.record("\(label): decoded \(message)")
        } catch {
            #expect(error.message.contains(words), "\(label): \(error)")
        }
    }

    @Test("an address longer than 255 bytes is refused")
    func longAddress() {
        var member = Self.a
        member.address = String(repeating: "x", count: 256)
        #expect(throws: BinaryDecodingError.self) {
            try MembershipMessage(decoding: MembershipMessage.join(member).encoded)
        }
        member.address = String(repeating: "x", count: 255)
        #expect((try? MembershipMessage(decoding: MembershipMessage.join(member).encoded)) == .join(member))
    }

    @Test("random and mutated bytes never trap")
    func fuzz() {
        var random = SeededRandom(seed: 2026)
        let valid = Self.samples.map(\.encoded)
        for round in 0..<4000 {
            var bytes: [UInt8]
            if round % 2 == 0 {
                bytes = (0..<Int(random.next() % 64)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            } else {
                bytes = valid[Int(random.next() % UInt64(valid.count))]
                for _ in 0...Int(random.next() % 4) where !bytes.isEmpty {
                    bytes[Int(random.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: random.next())
                }
            }
            if let message = try? MembershipMessage(decoding: bytes) {
                // Whatever decodes must re-encode to a message that decodes to the same value.
                #expect((try? MembershipMessage(decoding: message.encoded)) == message, "round \(round)")
            }
        }
    }
}
