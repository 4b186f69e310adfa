/// An ordered JSON object (insertion order kept for deterministic output).
///
/// Keys are unique and compared by exact UTF-8 bytes (not Unicode canonical
/// equivalence). Lookups scan linearly for small objects; objects with more
/// than ``indexThreshold`` members also keep a hash index.
///
/// Equality ignores member order: two objects are equal when they have the
/// same keys mapped to equal values.
public struct JSONObject: Sendable {
    /// One member of an object.
    @usableFromInline
    struct Entry: Sendable {
        @usableFromInline var key: String
        @usableFromInline var value: JSONValue

        @inlinable
        init(key: String, value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    /// Member count above which a hash index is maintained.
    public static let indexThreshold = 16

    @usableFromInline var entries: [Entry]
    @usableFromInline var index: [JSONKey: Int]?

    /// Creates an empty object.
    public init() {
        entries = []
        index = nil
    }

    /// Creates an object from already-unique entries (used by the parser).
    init(uncheckedEntries entries: [Entry], index: [JSONKey: Int]?) {
        self.entries = entries
        self.index = index
        if index == nil && entries.count > Self.indexThreshold { rebuildIndex() }
    }

    /// The value for `key`; assigning `nil` removes the member, assigning a value
    /// replaces it in place or appends a new member at the end.
    public subscript(key: String) -> JSONValue? {
        get {
            guard let i = position(of: key) else { return nil }
            return entries[i].value
        }
        set {
            if let newValue {
                if let i = position(of: key) {
                    entries[i].value = newValue
                } else {
                    entries.append(Entry(key: key, value: newValue))
                    if index != nil {
                        index![JSONKey(key)] = entries.count - 1
                    } else if entries.count > Self.indexThreshold {
                        rebuildIndex()
                    }
                }
            } else {
                removeValue(forKey: key)
            }
        }
    }

    /// Removes the member named `key` and returns its value, or `nil` if absent.
    @discardableResult
    public mutating func removeValue(forKey key: String) -> JSONValue? {
        guard let i = position(of: key) else { return nil }
        let removed = entries.remove(at: i).value
        if entries.count > Self.indexThreshold { rebuildIndex() } else { index = nil }
        return removed
    }

    /// Returns `true` when a member named `key` exists.
    public func contains(key: String) -> Bool { position(of: key) != nil }

    /// The keys in insertion order.
    public var keys: [String] { entries.map(\.key) }

    /// The values in insertion order.
    public var values: [JSONValue] { entries.map(\.value) }

    /// The number of members.
    public var count: Int { entries.count }

    /// `true` when the object has no members.
    public var isEmpty: Bool { entries.isEmpty }

    /// Reserves storage for at least `minimumCapacity` members.
    public mutating func reserveCapacity(_ minimumCapacity: Int) {
        entries.reserveCapacity(minimumCapacity)
    }

    /// Position of `key` in `entries`, if present.
    @inlinable
    func position(of key: String) -> Int? {
        if let index { return index[JSONKey(key)] }
        for i in entries.indices where jsonKeysEqual(entries[i].key, key) { return i }
        return nil
    }

    mutating func rebuildIndex() {
        var newIndex = [JSONKey: Int](minimumCapacity: entries.count)
        for (i, entry) in entries.enumerated() { newIndex[JSONKey(entry.key)] = i }
        index = newIndex
    }
}

extension JSONObject: Equatable {
    /// Order-insensitive equality: same key set with equal values.
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.entries.count == rhs.entries.count else { return false }
        var sameOrder = true
        for i in lhs.entries.indices where !jsonKeysEqual(lhs.entries[i].key, rhs.entries[i].key) {
            sameOrder = false
            break
        }
        if sameOrder {
            for i in lhs.entries.indices where lhs.entries[i].value != rhs.entries[i].value { return false }
            return true
        }
        for entry in lhs.entries {
            guard let j = rhs.position(of: entry.key), rhs.entries[j].value == entry.value else { return false }
        }
        return true
    }
}

extension JSONObject: Sequence {
    /// Iterates `(key, value)` pairs in insertion order.
    public struct Iterator: IteratorProtocol {
        @usableFromInline var base: IndexingIterator<[Entry]>

        /// Returns the next member, or `nil` at the end.
        @inlinable
        public mutating func next() -> (key: String, value: JSONValue)? {
            guard let entry = base.next() else { return nil }
            return (entry.key, entry.value)
        }
    }

    /// Returns an iterator over the members in insertion order.
    public func makeIterator() -> Iterator { Iterator(base: entries.makeIterator()) }

    /// The number of members.
    public var underestimatedCount: Int { entries.count }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    /// Creates an object from a literal; for a repeated key the last value wins.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init()
        entries.reserveCapacity(elements.count)
        for (key, value) in elements { self[key] = value }
    }
}

/// Exact (byte-wise UTF-8) key equality; Swift's `==` alone uses canonical equivalence.
@inlinable @inline(__always)
func jsonKeysEqual(_ a: String, _ b: String) -> Bool {
    // Compare the UTF-8 bytes directly (contiguous for native strings): fast and exact.
    let ua = a.utf8
    let ub = b.utf8
    guard ua.count == ub.count else { return false }
    if let r = ua.withContiguousStorageIfAvailable({ pa in
        ub.withContiguousStorageIfAvailable { pb in
            for i in 0..<pa.count where pa[i] != pb[i] { return false }
            return true
        }
    }), let equal = r {
        return equal
    }
    return ua.elementsEqual(ub)
}

/// Hash key with exact UTF-8 equality (String hashing is consistent with it).
@usableFromInline
struct JSONKey: Hashable, Sendable {
    @usableFromInline var string: String

    @inlinable
    init(_ string: String) { self.string = string }

    @inlinable
    static func == (lhs: JSONKey, rhs: JSONKey) -> Bool { jsonKeysEqual(lhs.string, rhs.string) }

    @inlinable
    func hash(into hasher: inout Hasher) { hasher.combine(string) }
}
