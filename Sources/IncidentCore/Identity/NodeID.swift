/// The name of one cluster node, e.g. `node1` or `eu-west-2a`.
///
/// Node ids are chosen by operators, appear in logs, event ids and incident ids (as a short tag),
/// and order deterministically by their bytes.
public struct NodeID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The validated name.
    public let name: String

    /// Validates a node name: 1–64 characters of `A-Z a-z 0-9 . _ -`.
    /// - Throws: `DomainError.badRequest` naming the value.
    public init(validating name: String) throws(DomainError) {
        guard Self.isValid(name) else {
            throw .badRequest(
                "node id '\(name)' is not valid; expected 1-64 characters of letters, digits, '.', '_' or '-'")
        }
        self.name = name
    }

    /// Wraps a name already known to be valid (decoded from our own log or tests).
    public init(_ name: String) {
        self.name = name
    }

    /// Whether `name` is an acceptable node id.
    public static func isValid(_ name: String) -> Bool {
        let bytes = name.utf8
        guard (1...64).contains(bytes.count) else { return false }
        return bytes.allSatisfy { b in
            (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b == 45 || b == 46 || b == 95
        }
    }

    public static func < (lhs: NodeID, rhs: NodeID) -> Bool {
        lhs.name != rhs.name && lhs.name.utf8.lexicographicallyPrecedes(rhs.name.utf8)
    }

    public var description: String { name }
}
