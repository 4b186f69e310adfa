/// The cluster-unique identity of one event: its author and the author's sequence number.
///
/// The author (`origin`) is a node *and its data directory*, written `node1/K7Q` (the directory's
/// tag, see `IncidentID.tag(for:createdAt:)`): a node whose disk was lost starts over as a new author,
/// so its restarted sequence numbers and repeat counters never collide with those of its earlier
/// life that peers still hold. Sequence numbers start at 1 and increase by one per event the author
/// creates.
public struct EventID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The author: the node that created the event, with its data directory's tag.
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

extension NodeID {
    /// The event author for a node writing from the data directory with `directoryTag`.
    public static func author(node: NodeID, directoryTag: String) -> NodeID {
        NodeID("\(node.name)/\(directoryTag)")
    }

    /// The node of an event author (the name itself for a plain node id).
    public var authorNode: NodeID {
        guard let slash = name.utf8.firstIndex(of: UInt8(ascii: "/")) else { return self }
        return NodeID(String(name[..<slash]))
    }
}
