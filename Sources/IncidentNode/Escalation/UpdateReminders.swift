import IncidentCluster
import IncidentCore

/// SPEC §3: a SEV-0/1 incident with no stakeholder status update for `reminderAfter` (15 min)
/// reminds its communications lead (or, with none named, its assignee), on their first contact's
/// channel or the node log. The incident's owner sends it, once per quiet stretch (a new update
/// starts a new one); the reminder is a `notified` timeline entry. The memory of what was sent is
/// the owner's: after a failover or restart a stretch may be reminded once more.
extension EscalationSupervisor {
    /// Reminders due at `now` (called every few seconds by the tick).
    func remindQuietMajorIncidents(now: Timestamp, catalog snapshot: OnCallCatalog, reminded: inout Set<String>) async {
        let members = owners()
        var current: Set<String> = []
        for s in service.index.all() where s.status.isOpen && s.severity.isMajor {
            let since = s.lastStatusUpdateAt ?? s.createdAt
            guard now - since >= reminderAfter else { continue }
            guard Rendezvous.owner(of: s.dedupKey, among: members) == node else { continue }
            let key = "\(s.id.text)/reminder/\(since.unixMillis)"
            current.insert(key)
            guard !reminded.contains(key), let record = try? await service.record(s.id) else { continue }
            reminded.insert(key)
            let person = record.incident.roles[.communicationsLead] ?? record.incident.assignee
            let contact = person.flatMap { snapshot.people[$0]?.contacts.first }
            let channel = contact?.channel ?? "log"
            let quiet = (now - since).wholeMilliseconds / 60_000
            let text = "Reminder: \(s.id.text) (\(s.severity)) \(s.title) has had no status update for \(quiet) min — post one with `aether incident communicate`."
            let m = Notifier.Message(
                incident: s.id, kind: "reminder", text: text, key: key, fields: ["person": person.map { .string($0) } ?? .null],
                address: contact?.address, subject: "[Reminder] \(s.id.text) needs a status update")
            // Delivered beside the tick: a slow receiver must not hold up escalation steps.
            let notifier = self.notifier
            let service = self.service
            let node = self.node
            Task {
                var delivery = await notifier.deliver(m, to: channel)
                delivery.detail = "status-update reminder to \(person ?? "nobody named (no communications lead or assignee)"): " + delivery.detail
                _ = try? await service.command(s.id, .recordDeliveries([delivery]), actor: "node:\(node.name)")
            }
        }
        // Forget stretches that ended (an update was posted, the incident closed): bounded memory.
        reminded.formIntersection(current)
    }
}
