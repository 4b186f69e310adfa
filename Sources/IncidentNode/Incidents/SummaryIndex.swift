import IncidentCore
import Synchronization

/// The summary of every incident (live, passivated or archived) for listing and metrics, updated
/// synchronously by the incident actors after each change.
///
/// A `Mutex`, not an actor: listing 100,000 incidents must not cost 100,000 actor hops, and an
/// update is an array store. Summaries sit in an array in the order incidents were added (which is
/// creation order), so "newest first, up to `limit`" walks back from the end and stops early;
/// a dedup-key index answers `dedup_key` filters without a scan. Each incident's actor is the only
/// writer of its entry.
public final class SummaryIndex: Sendable {
    struct State {
        var slots: [IncidentSummary] = []
        var position: [IncidentID: Int] = [:]
        var byKey: [String: [Int]] = [:]
        /// Dedup keys with more than one open incident (duplicates to merge).
        var conflicts: Set<String> = []
    }

    private let state = Mutex(State())

    /// An empty index.
    public init() {}

    /// Stores an incident's latest summary.
    public func update(_ s: IncidentSummary) {
        state.withLock { st in
            var wasOpen = false
            if let p = st.position[s.id] {
                wasOpen = st.slots[p].status.isOpen
                st.slots[p] = s
            } else {
                st.position[s.id] = st.slots.count
                st.byKey[s.dedupKey, default: []].append(st.slots.count)
                st.slots.append(s)
            }
            if wasOpen != s.status.isOpen {
                let open = (st.byKey[s.dedupKey] ?? []).reduce(0) { $0 + (st.slots[$1].status.isOpen ? 1 : 0) }
                if open > 1 { st.conflicts.insert(s.dedupKey) } else { st.conflicts.remove(s.dedupKey) }
            }
        }
    }

    /// Dedup keys that have more than one open incident.
    public var conflicts: [String] { state.withLock { Array($0.conflicts) } }

    /// Whether `key` has more than one open incident.
    public func hasConflict(_ key: String) -> Bool { state.withLock { $0.conflicts.contains(key) } }

    /// The open incidents for a key, oldest first (then lowest id).
    public func openIncidents(forKey key: String) -> [IncidentSummary] {
        state.withLock { st in
            (st.byKey[key] ?? []).map { st.slots[$0] }.filter { $0.status.isOpen }.sorted {
                $0.createdAt != $1.createdAt ? $0.createdAt < $1.createdAt : $0.id < $1.id
            }
        }
    }

    /// Makes room for `n` incidents (bulk loads at start-up).
    public func reserve(_ n: Int) {
        state.withLock { st in
            st.slots.reserveCapacity(n)
            st.position.reserveCapacity(n)
            st.byKey.reserveCapacity(n)
        }
    }

    /// Number of incidents.
    public var count: Int { state.withLock { $0.slots.count } }

    /// Every summary (for metrics).
    public func all() -> [IncidentSummary] { state.withLock { $0.slots } }

    /// One incident's summary.
    public func get(_ id: IncidentID) -> IncidentSummary? {
        state.withLock { st in st.position[id].map { st.slots[$0] } }
    }

    /// The newest `limit` incidents matching `filter`, newest first, and whether more match.
    public func list(_ filter: IncidentFilter, limit: Int) -> (incidents: [IncidentSummary], more: Bool) {
        state.withLock { st in
            var out: [IncidentSummary] = []
            out.reserveCapacity(min(limit, 256))
            var more = false
            func consider(_ s: IncidentSummary) -> Bool {
                guard filter.matches(s) else { return true }
                if out.count == limit {
                    more = true
                    return false
                }
                out.append(s)
                return true
            }
            if let key = filter.dedupKey {
                for p in (st.byKey[key] ?? []).reversed() where !consider(st.slots[p]) { break }
            } else {
                for p in st.slots.indices.reversed() where !consider(st.slots[p]) { break }
            }
            // Slots are in insertion order; recovered or merged incidents can be slightly out of
            // creation order, so order the page itself.
            out.sort { $0.createdAt != $1.createdAt ? $0.createdAt > $1.createdAt : $1.id < $0.id }
            return (out, more)
        }
    }
}

/// Which incidents `incident.list` returns.
public struct IncidentFilter: Sendable, Equatable {
    /// Only this status.
    public var status: IncidentStatus?
    /// Only this severity.
    public var severity: Severity?
    /// Only this service.
    public var service: String?
    /// Only this dedup key.
    public var dedupKey: String?
    /// Only open (true) or only not open (false).
    public var open: Bool?
    /// Only this category.
    public var category: Category?

    /// No filter.
    public init() {}

    /// Whether a summary passes.
    public func matches(_ s: IncidentSummary) -> Bool {
        if let status, s.status != status { return false }
        if let severity, s.severity != severity { return false }
        if let open, s.status.isOpen != open { return false }
        if let category, s.category != category { return false }
        if let service, s.service != service { return false }
        if let dedupKey, s.dedupKey != dedupKey { return false }
        return true
    }
}

/// The learned classifier shared by the node: trained as incidents are confirmed, read when new
/// incidents open.
public final class ClassifierModel: Sendable {
    private let model = Mutex(LearnedClassifier())

    /// An untrained model.
    public init() {}

    /// A copy of the current model.
    public var current: LearnedClassifier { model.withLock { $0 } }

    /// Moves an incident's training example from `old` to `new` category (either may be nil).
    public func retrain(tokens: [String], from old: Category?, to new: Category?) {
        guard old != new else { return }
        model.withLock { m in
            if let old { m.untrain(tokens: tokens, category: old) }
            if let new { m.train(tokens: tokens, category: new) }
        }
    }
}
