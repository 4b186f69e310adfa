import IncidentCore

// MARK: - Binary encoding of membership messages
//
// Layout: u8 type · fields. Codes are append-only.
//   1 ping        varint sequence · members
//   2 ack         varint sequence · members
//   3 pingRequest varint sequence · member target · members
//   4 nack        varint sequence
//   5 join        member
//   6 joinReply   members
//   7 leave       member
//   8 gossip      members
// member  = string node · string address · string region · u8 state · varint incarnation
// members = varint count (≤ MembershipMessage.membersMax) · member…
// Decoding hostile bytes never traps: every length is bounded and checked, node ids and regions
// must be valid names, and the message must fill the buffer exactly.

extension MembershipMessage {
    /// Wire codes of the message types.
    enum TypeCode: UInt8 {
        case ping = 1
        case ack, pingRequest, nack, join, joinReply, leave, gossip
    }

    /// Longest accepted gossip address, in UTF-8 bytes.
    public static let addressBytesMax = 255

    /// Appends the binary encoding of this message.
    public func encode(into w: inout ByteWriter) {
        switch self {
        case .ping(let sequence, let updates):
            w.write(TypeCode.ping.rawValue)
            w.writeVarint(sequence)
            Self.encode(updates, into: &w)
        case .ack(let sequence, let updates):
            w.write(TypeCode.ack.rawValue)
            w.writeVarint(sequence)
            Self.encode(updates, into: &w)
        case .pingRequest(let sequence, let target, let updates):
            w.write(TypeCode.pingRequest.rawValue)
            w.writeVarint(sequence)
            Self.encode(target, into: &w)
            Self.encode(updates, into: &w)
        case .nack(let sequence):
            w.write(TypeCode.nack.rawValue)
            w.writeVarint(sequence)
        case .join(let member):
            w.write(TypeCode.join.rawValue)
            Self.encode(member, into: &w)
        case .joinReply(let members):
            w.write(TypeCode.joinReply.rawValue)
            Self.encode(members, into: &w)
        case .leave(let member):
            w.write(TypeCode.leave.rawValue)
            Self.encode(member, into: &w)
        case .gossip(let updates):
            w.write(TypeCode.gossip.rawValue)
            Self.encode(updates, into: &w)
        }
    }

    /// The binary encoding of this message.
    public var encoded: [UInt8] {
        var w = ByteWriter(capacity: 256)
        encode(into: &w)
        return w.bytes
    }

    /// Decodes one message from the reader.
    /// - Throws: `BinaryDecodingError` naming the offset and the problem (truncation, unknown
    ///   type or state code, a list longer than `membersMax`, an invalid node id or region).
    public init(from r: inout ByteReader) throws(BinaryDecodingError) {
        let at = r.offset
        let code = try r.readUInt8()
        guard let type = TypeCode(rawValue: code) else {
            throw BinaryDecodingError(offset: at, message: "unknown membership message type \(code); expected 1-8")
        }
        switch type {
        case .ping:
            let sequence = try r.readVarint()
            self = .ping(sequence: sequence, updates: try Self.decodeMembers(&r))
        case .ack:
            let sequence = try r.readVarint()
            self = .ack(sequence: sequence, updates: try Self.decodeMembers(&r))
        case .pingRequest:
            let sequence = try r.readVarint()
            let target = try Self.decodeMember(&r)
            self = .pingRequest(sequence: sequence, target: target, updates: try Self.decodeMembers(&r))
        case .nack:
            self = .nack(sequence: try r.readVarint())
        case .join:
            self = .join(try Self.decodeMember(&r))
        case .joinReply:
            self = .joinReply(members: try Self.decodeMembers(&r))
        case .leave:
            self = .leave(try Self.decodeMember(&r))
        case .gossip:
            self = .gossip(updates: try Self.decodeMembers(&r))
        }
    }

    /// Decodes one message that must fill `bytes` exactly.
    /// - Throws: `BinaryDecodingError`, including for trailing bytes.
    public init(decoding bytes: UnsafeRawBufferPointer) throws(BinaryDecodingError) {
        var r = ByteReader(bytes)
        try self.init(from: &r)
        guard r.remaining == 0 else {
            throw BinaryDecodingError(
                offset: r.offset, message: "\(r.remaining) unexpected bytes after membership message")
        }
    }

    /// Decodes one message that must fill `bytes` exactly.
    /// - Throws: `BinaryDecodingError`, including for trailing bytes.
    public init(decoding bytes: [UInt8]) throws(BinaryDecodingError) {
        let result = bytes.withUnsafeBytes { buffer -> Result<MembershipMessage, BinaryDecodingError> in
            do throws(BinaryDecodingError) {
                return .success(try MembershipMessage(decoding: buffer))
            } catch {
                return .failure(error)
            }
        }
        self = try result.get()
    }

    // MARK: - Members

    static func encode(_ member: Member, into w: inout ByteWriter) {
        w.writeString(member.node.name)
        w.writeString(member.address)
        w.writeString(member.region)
        w.write(member.state.rawValue)
        w.writeVarint(member.incarnation)
    }

    static func encode(_ members: [Member], into w: inout ByteWriter) {
        let count = min(members.count, membersMax)
        w.writeVarint(UInt64(count))
        for member in members.prefix(count) { encode(member, into: &w) }
    }

    static func decodeMember(_ r: inout ByteReader) throws(BinaryDecodingError) -> Member {
        let at = r.offset
        let node = try r.readString()
        guard NodeID.isValid(node) else {
            throw BinaryDecodingError(offset: at, message: "member node id is not valid (1-64 of A-Z a-z 0-9 . _ -)")
        }
        let addressAt = r.offset
        let address = try r.readString()
        guard !address.isEmpty, address.utf8.count <= addressBytesMax else {
            throw BinaryDecodingError(
                offset: addressAt,
                message: "member address of \(address.utf8.count) bytes; expected 1-\(addressBytesMax)")
        }
        let regionAt = r.offset
        let region = try r.readString()
        guard NodeID.isValid(region) else {
            throw BinaryDecodingError(
                offset: regionAt, message: "member region is not valid (1-64 of A-Z a-z 0-9 . _ -)")
        }
        let stateAt = r.offset
        let stateCode = try r.readUInt8()
        guard let state = MemberState(rawValue: stateCode) else {
            throw BinaryDecodingError(offset: stateAt, message: "unknown member state \(stateCode); expected 0-3")
        }
        let incarnation = try r.readVarint()
        return Member(node: NodeID(node), address: address, region: region, state: state, incarnation: incarnation)
    }

    static func decodeMembers(_ r: inout ByteReader) throws(BinaryDecodingError) -> [Member] {
        // Each member takes at least 7 bytes, so `remaining` also bounds the count.
        let count = try r.readCount(max: min(membersMax, r.remaining), "member count")
        var members: [Member] = []
        members.reserveCapacity(count)
        for _ in 0..<count { members.append(try decodeMember(&r)) }
        return members
    }
}
