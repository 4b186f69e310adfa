import IncidentCore
import Synchronization

/// Incident views waiting for the escalation supervisor: incident actors drop the latest view of an
/// incident here (with themselves, so firing needs no directory lookup) whenever its
/// escalation-relevant state changes — a later view replaces an earlier one — and the supervisor
/// drains them on its next tick.
final class EscalationInbox: Sendable {
    private let views = Mutex<[IncidentID: (EscalationView, IncidentActor)]>([:])

    init() {}

    /// Offers an incident's latest view.
    func observe(_ view: EscalationView, actor: IncidentActor) {
        views.withLock { $0[view.id] = (view, actor) }
    }

    /// Takes everything offered since the last drain.
    func drain() -> [(EscalationView, IncidentActor)] {
        views.withLock { v in
            guard !v.isEmpty else { return [] }
            defer { v.removeAll() }  // not keeping capacity: a burst of 100,000 views must not stay resident
            return Array(v.values)
        }
    }
}
