/// A message of the membership protocol, exchanged between the gossip addresses of members.
///
/// Every message that carries `updates` starts them with the sender's own record, so a receiver
/// always learns who is talking and at which incarnation, and can correct a sender that is
/// behind (see `MembershipInstance`). Sequence numbers are the sender's own counter and mean
/// something only to it.
public enum MembershipMessage: Sendable, Equatable {
    /// A probe: "are you there?" The receiver answers `ack` with the same sequence.
    case ping(sequence: UInt64, updates: [Member])
    /// The answer to a `ping` (direct, or forwarded by a helper for a `pingRequest`).
    case ack(sequence: UInt64, updates: [Member])
    /// Asks a helper to probe `target` and forward its ack (SWIM's indirect probe, ping-req).
    case pingRequest(sequence: UInt64, target: Member, updates: [Member])
    /// From a helper: `target` did not answer it within the probe timeout (Lifeguard). Lets the
    /// requester tell "the target is silent" from "I am the one not hearing anything".
    case nack(sequence: UInt64)
    /// Sent to seed addresses by a node that wants in; answered with `joinReply`.
    case join(Member)
    /// The full member list (bounded by `MembershipMessage.membersMax`), to a joining node.
    case joinReply(members: [Member])
    /// A graceful departure: the member, in state `left`.
    case leave(Member)
    /// Pending updates pushed to a few random members every gossip interval; not answered.
    case gossip(updates: [Member])

    /// Most member records in one message; longer lists are refused by the decoder and trimmed by
    /// the instance.
    public static let membersMax = 1024
}
