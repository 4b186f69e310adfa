/// Every open incident's next escalation deadline on one node, and what to do when one comes due:
/// the pure core of the escalation supervisor.
///
/// Every node keeps every active incident's view (replication brings them all), so when an owner
/// dies its successor already knows each deadline. `due(now:)` returns
/// - `.fire` for steps due on incidents this node owns (the shell asks the incident's actor to
///   record the step; the actor re-checks, so a stale directive does nothing), and
/// - `.overdue` for steps still not recorded `overdueAfter` past their due time, whoever owns
///   them — the watchdog: an escalation never stalls silently.
///
/// Deadlines sit in a min-heap with lazy deletion: an entry whose incident has moved on (another
/// step number, a later due time, or no longer active) is dropped when it surfaces.
public struct EscalationTimers: Sendable {
    /// What the shell must do.
    public enum Directive: Sendable, Equatable {
        /// Record this step now (this node owns the incident).
        case fire(IncidentID, PendingStep)
        /// This step is overdue by more than the bound: raise the alarm.
        case overdue(IncidentID, PendingStep, owner: NodeID?)
    }

    private struct Entry: Sendable {
        var view: EscalationView
        var pending: PendingStep?
        var owned: Bool
        /// The highest step number already reported overdue.
        var reportedOverdue: UInt32 = 0
    }

    private struct Deadline: Comparable, Sendable {
        var at: Timestamp
        var id: IncidentID
        var number: UInt32
        var watch: Bool

        static func < (a: Deadline, b: Deadline) -> Bool {
            a.at != b.at ? a.at < b.at : (a.number != b.number ? a.number < b.number : a.id < b.id)
        }
    }

    /// This node.
    public let node: NodeID
    /// How long past due a step may stay unrecorded before `.overdue`.
    public let overdueAfter: Duration
    private let ownerOf: @Sendable (String, [NodeID]) -> NodeID?
    private var owners: [NodeID]
    private var entries: [IncidentID: Entry] = [:]
    private var heap = MinHeap<Deadline>()

    /// Creates the timers for `node`; `ownerOf` picks a dedup key's owner among members.
    public init(node: NodeID, overdueAfter: Duration, ownerOf: @escaping @Sendable (String, [NodeID]) -> NodeID?) {
        self.node = node
        self.overdueAfter = overdueAfter
        self.ownerOf = ownerOf
        self.owners = [node]
    }

    /// Incidents tracked: active ones with a step pending.
    public var tracked: Int { entries.count }
    /// Tracked incidents with a pending step that this node owns.
    public var ownedPending: Int { entries.values.reduce(0) { $0 + ($1.owned && $1.pending != nil ? 1 : 0) } }
    /// The earliest deadline in the heap (possibly stale), for the shell's sleep.
    public var nextWake: Timestamp? { heap.peek?.at }

    /// Takes an incident's new view and pending step. An incident with nothing pending (or no
    /// longer active) is dropped: memory goes to incidents that have a deadline; when the catalog
    /// changes, the shell offers every active incident again.
    public mutating func update(_ view: EscalationView, pending: PendingStep?) {
        guard view.isActive, let pending else {
            remove(view.id)
            return
        }
        var entry = entries[view.id] ?? Entry(view: view, pending: nil, owned: isOwned(view.dedupKey))
        entry.view = view
        let changed = entry.pending != pending
        entry.pending = pending
        entries[view.id] = entry
        if changed { heap.push(Deadline(at: pending.due, id: view.id, number: pending.number, watch: false)) }
        compactIfNeeded()
    }

    /// Recomputes every pending step (the catalog changed: policies, services, targets).
    public mutating func replan(_ plan: (EscalationView) -> PendingStep?) {
        for id in Array(entries.keys) {
            if let p = plan(entries[id]!.view) { entries[id]!.pending = p } else { entries[id] = nil }
        }
        rebuildHeap()
        shrinkIfNeeded()
    }

    private mutating func remove(_ id: IncidentID) {
        guard entries.removeValue(forKey: id) != nil else { return }
        shrinkIfNeeded()
    }

    /// A dictionary keeps its capacity when emptied; after a storm's incidents are acknowledged,
    /// give the memory back.
    private mutating func shrinkIfNeeded() {
        guard entries.capacity > 4096, entries.count * 4 < entries.capacity else { return }
        entries = Dictionary(uniqueKeysWithValues: entries.map { ($0.key, $0.value) })
        rebuildHeap()
    }

    /// The alive members changed: ownership moves; a step due on an incident this node now owns
    /// fires at the next `due(now:)`.
    public mutating func setOwners(_ members: [NodeID]) {
        let sorted = members.sorted()
        guard sorted != owners else { return }
        owners = sorted
        for id in Array(entries.keys) { entries[id]!.owned = isOwned(entries[id]!.view.dedupKey) }
        rebuildHeap()
    }

    /// Whether this node owns the incident now.
    public func owns(_ id: IncidentID) -> Bool { entries[id]?.owned ?? false }

    /// Pops everything due at `now`.
    public mutating func due(now: Timestamp) -> [Directive] {
        var out: [Directive] = []
        while let top = heap.peek, top.at <= now {
            _ = heap.pop()
            guard var entry = entries[top.id], let p = entry.pending, p.number == top.number else { continue }
            // Same number but due later (acknowledged: the page became an ack timeout; the severity
            // changed the deadline): this entry was for the old due time; the update pushed a new one.
            guard top.at >= (top.watch ? p.due + overdueAfter : p.due) else { continue }
            if top.watch {
                if entry.reportedOverdue < p.number {
                    entry.reportedOverdue = p.number
                    entries[top.id] = entry
                    out.append(.overdue(top.id, p, owner: ownerOf(entry.view.dedupKey, owners)))
                }
                continue
            }
            if entry.owned { out.append(.fire(top.id, p)) }
            heap.push(Deadline(at: p.due + overdueAfter, id: top.id, number: p.number, watch: true))
        }
        return out
    }

    /// Tries a step again at `at` (the shell could not record it just now).
    public mutating func retry(_ id: IncidentID, _ step: PendingStep, at: Timestamp) {
        guard entries[id]?.pending == step else { return }
        heap.push(Deadline(at: at, id: id, number: step.number, watch: false))
    }

    private func isOwned(_ key: String) -> Bool { ownerOf(key, owners) == node }

    private mutating func rebuildHeap() {
        heap.removeAll()
        for (id, e) in entries {
            guard let p = e.pending else { continue }
            heap.push(Deadline(at: p.due, id: id, number: p.number, watch: false))
        }
    }

    private mutating func compactIfNeeded() {
        if heap.count > 2 * entries.count + 1024 { rebuildHeap() }
    }
}
