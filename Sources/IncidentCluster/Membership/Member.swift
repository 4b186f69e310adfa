import IncidentCore

/// What the cluster believes about a member.
///
/// The raw values are the wire codes (append-only).
public enum MemberState: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// Answers probes (or has not been caught failing yet).
    case alive = 0
    /// A probe failed; it is declared `dead` unless it refutes within the suspicion timeout.
    case suspect = 1
    /// Confirmed failed: no refutation before the suspicion timeout. Owns nothing.
    case dead = 2
    /// Left gracefully. Final for its incarnation: only a newer incarnation (a restart) revives it.
    case left = 3

    /// Order at equal incarnation: alive < suspect < dead < left.
    public var precedence: Int {
        switch self {
        case .alive: 0
        case .suspect: 1
        case .dead: 2
        case .left: 3
        }
    }

    /// Whether the member is part of the live cluster (probed, gossiped to, may own incidents):
    /// alive or suspect.
    public var isActive: Bool { self == .alive || self == .suspect }

    public var description: String {
        switch self {
        case .alive: "alive"
        case .suspect: "suspect"
        case .dead: "dead"
        case .left: "left"
        }
    }
}

/// One node as the membership protocol sees it.
///
/// A record is an *update* too: records about the same node are ordered by
/// `(incarnation, state.precedence)` (see `supersedes(_:)`). Only the node itself raises its
/// incarnation, which is how it refutes a suspicion or comes back after a restart.
public struct Member: Sendable, Equatable, CustomStringConvertible {
    /// The node's id (stable across restarts).
    public var node: NodeID
    /// Its gossip address, `host:port`; may change when it restarts.
    public var address: String
    /// Its region label.
    public var region: String
    /// What is believed about it.
    public var state: MemberState
    /// The node's own counter; raised only by the node, to refute or after a restart.
    public var incarnation: UInt64

    /// Creates a record.
    public init(
        node: NodeID, address: String, region: String = "local", state: MemberState = .alive, incarnation: UInt64 = 0
    ) {
        self.node = node
        self.address = address
        self.region = region
        self.state = state
        self.incarnation = incarnation
    }

    /// Whether this record replaces `other` (a record about the same node).
    ///
    /// The rules of SWIM with Lifeguard, as a lexicographic order on `(incarnation, precedence)`:
    /// - a higher incarnation wins whatever the states (a refutation `alive i+1` beats
    ///   `suspect i` and `dead i`; but `dead i` loses to `alive i+1`);
    /// - at equal incarnation, `left > dead > suspect > alive`, so `left` is final for its
    ///   incarnation and only a newer incarnation revives the node.
    /// Equal records do not supersede each other, which keeps gossip from echoing forever.
    public func supersedes(_ other: Member) -> Bool {
        if incarnation != other.incarnation { return incarnation > other.incarnation }
        return state.precedence > other.state.precedence
    }

    public var description: String { "\(node)@\(address)[\(region)] \(state) #\(incarnation)" }
}
