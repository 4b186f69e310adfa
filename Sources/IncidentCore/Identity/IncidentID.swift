/// An incident's id, unique cluster-wide without coordination and easy to type:
/// `INC-<year>-<counter>-<node tag>`, e.g. `INC-2026-0042-K7Q`.
///
/// The counter counts the incidents a node opened in that year (at least four digits); the tag is
/// three Crockford base-32 characters derived from the node id, so two nodes never hand out the same
/// id unless their tags collide (a 1 in 32,768 chance per pair, checked when nodes meet).
public struct IncidentID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The canonical upper-case text.
    public let text: String

    /// Wraps text already known to be a valid id (decoded from our own log).
    public init(_ text: String) {
        self.text = text
    }

    /// Builds the id for the `counter`-th incident a node with `tag` opened in `year`.
    public init(year: Int, counter: UInt64, tag: String) {
        var digits = String(counter)
        if digits.count < 4 { digits = String(repeating: "0", count: 4 - digits.count) + digits }
        self.text = "INC-\(year)-\(digits)-\(tag)"
    }

    /// Parses an operator-typed id, case-insensitively.
    /// - Throws: `DomainError.badRequest` naming the value and the expected shape.
    public init(parsing raw: String) throws(DomainError) {
        let upper = raw.uppercased()
        guard let parts = Self.parts(upper) else {
            throw .badRequest("incident id '\(raw)' is not valid; expected INC-<year>-<number>-<tag>, e.g. INC-2026-0042-K7Q")
        }
        _ = parts
        self.text = upper
    }

    /// Splits `INC-YYYY-NNNN-TAG` into its year, counter and tag, or nil when malformed.
    public static func parts(_ text: String) -> (year: Int, counter: UInt64, tag: String)? {
        let pieces = text.split(separator: "-", omittingEmptySubsequences: false)
        guard pieces.count == 4, pieces[0] == "INC", pieces[1].count == 4, let year = Int(pieces[1]),
            (1...19).contains(pieces[2].count), let counter = UInt64(pieces[2]),
            pieces[2].utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), pieces[1].utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
            pieces[3].count == 3, pieces[3].utf8.allSatisfy({ crockfordAlphabet.utf8.contains($0) })
        else { return nil }
        return (year, counter, String(pieces[3]))
    }

    /// The tag a node's data directory uses, fixed when the directory is created: derived from the
    /// node id and the creation time, so a node whose disk was lost and that starts over with an
    /// empty directory never hands out an id it handed out before (its counters start again at 1).
    public static func tag(for node: NodeID, createdAt: Timestamp) -> String {
        tag(hashing: "\(node.name)#\(createdAt.unixMillis)")
    }

    /// The three-character tag of a node: FNV-1a of its name folded to 15 bits, in Crockford base 32.
    public static func tag(for node: NodeID) -> String {
        tag(hashing: node.name)
    }

    private static func tag(hashing text: String) -> String {
        let h = FNV1a.hash64(text.utf8)
        let v = Int((h ^ (h >> 15) ^ (h >> 30) ^ (h >> 45)) & 0x7FFF)
        let alphabet = Array(crockfordAlphabet)
        return String([alphabet[v >> 10 & 31], alphabet[v >> 5 & 31], alphabet[v & 31]])
    }

    static let crockfordAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

    /// Orders by year, then counter (numerically), then tag — without allocating.
    public static func < (lhs: IncidentID, rhs: IncidentID) -> Bool {
        let l = lhs.text.utf8
        let r = rhs.text.utf8
        // "INC-" + 4-digit year + "-" + counter + "-" + tag: equal-length counters compare as text.
        let lc = l.count
        let rc = r.count
        guard lc >= 14, rc >= 14 else { return l.lexicographicallyPrecedes(r) }
        let ly = l.prefix(8)
        let ry = r.prefix(8)
        if !ly.elementsEqual(ry) { return ly.lexicographicallyPrecedes(ry) }
        if lc != rc { return lc < rc }  // same tag length: a longer id has a longer (bigger) counter
        return l.lexicographicallyPrecedes(r)
    }

    public var description: String { text }
}

/// 64-bit FNV-1a, used where a small, stable, platform-independent hash is needed (tags, digests).
public enum FNV1a {
    /// Hashes a sequence of bytes.
    public static func hash64<S: Sequence>(_ bytes: S, seed: UInt64 = 0xcbf2_9ce4_8422_2325) -> UInt64
    where S.Element == UInt8 {
        var h = seed
        for b in bytes {
            h ^= UInt64(b)
            h = h &* 0x100_0000_01b3
        }
        return h
    }
}
