import IncidentCore
import Synchronization

/// The summary of every incident (live, passivated or archived) for listing and metrics, updated
/// synchronously by the incident actors after each change.
///
/// A `Mutex`, not an actor: listing 100,000 incidents must not cost 100,000 actor hops, and an
/// update is a dictionary store. Each incident's actor is the only writer of its entry.
public final class SummaryIndex: Sendable {
    private let entries = Mutex<[IncidentID: IncidentSummary]>([:])

    /// An empty index.
    public init() {}

    /// Stores an incident's latest summary.
    public func update(_ s: IncidentSummary) {
        entries.withLock { $0[s.id] = s }
    }

    /// Number of incidents.
    public var count: Int { entries.withLock { $0.count } }

    /// Open incidents.
    public var openCount: Int { entries.withLock { $0.values.reduce(0) { $0 + ($1.status.isOpen ? 1 : 0) } } }

    /// Every summary (for metrics).
    public func all() -> [IncidentSummary] { entries.withLock { Array($0.values) } }

    /// One incident's summary.
    public func get(_ id: IncidentID) -> IncidentSummary? { entries.withLock { $0[id] } }

    /// The newest `limit` incidents matching `filter`, newest first (ties by id).
    public func list(_ filter: IncidentFilter, limit: Int) -> (incidents: [IncidentSummary], matched: Int) {
        var matched = 0
        var top: [IncidentSummary] = []
        top.reserveCapacity(min(limit, 1024))
        func newer(_ a: IncidentSummary, _ b: IncidentSummary) -> Bool {
            a.createdAt != b.createdAt ? a.createdAt > b.createdAt : b.id < a.id
        }
        entries.withLock { all in
            for s in all.values where filter.matches(s) {
                matched += 1
                if top.count < limit {
                    top.append(s)
                    if top.count == limit { top.sort(by: newer) }
                } else if limit > 0, newer(s, top[limit - 1]) {
                    // Insert in order, dropping the oldest.
                    var lo = 0
                    var hi = limit - 1
                    while lo < hi {
                        let mid = (lo + hi) / 2
                        if newer(top[mid], s) { lo = mid + 1 } else { hi = mid }
                    }
                    top.removeLast()
                    top.insert(s, at: lo)
                }
            }
        }
        if top.count < limit { top.sort(by: newer) }
        return (top, matched)
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
