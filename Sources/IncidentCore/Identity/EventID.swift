/// The cluster-unique identity of one event: the node that created it and that node's sequence number.
///
/// Sequence numbers start at 1 and increase by one per event created on the origin node, so the
/// events a node holds from one origin can be summarised by a version vector.
public struct EventID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The node that created the event.
    public var origin: NodeID
    /// 1, 2, 3 … per origin.
    public var seq: UInt64

    /// Creates an event id.
    public init(origin: NodeID, seq: UInt64) {
        self.origin = origin
        self.seq = seq
    }

    public static func < (lhs: EventID, rhs: EventID) -> Bool {
        lhs.origin == rhs.origin ? lhs.seq < rhs.seq : lhs.origin < rhs.origin
    }

    public var description: String { "\(origin.name):\(seq)" }
}
