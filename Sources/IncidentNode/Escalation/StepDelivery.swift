import AdminProtocol
import IncidentCore

/// Delivers one escalation step's messages — a page to each person it names on their first
/// contact's channel, or the initial / resolution notification to each announce channel — and
/// records `deliveriesSettled` once every message reached an outcome.
///
/// Durable: the step's event is the intent, and every attempt is a `notified` /
/// `notification_failed` entry carrying the message's key. Whoever runs this — the node that fired
/// the step, or a new owner after that node died — reads those first: a message already delivered
/// is not sent again, and one that failed keeps counting its attempts. Every attempt of a message
/// carries the same key (the `Idempotency-Key`), so a receiver can drop the repeat an owner's death
/// mid-attempt may cause.
struct StepDelivery: Sendable {
    /// One step of one incident.
    struct Ref: Hashable, Sendable {
        var id: IncidentID
        var step: UInt32
    }

    let service: IncidentService
    let notifier: Notifier
    let templates: TemplateSet
    let node: NodeID

    /// Delivers what is left of `ref`'s messages; `step` when the caller has it (it just fired).
    /// Returns false when the settlement could not be recorded (try again later).
    func run(_ ref: Ref, step known: EscalationStep?, catalog: OnCallCatalog) async -> Bool {
        guard let record = try? await service.record(ref.id) else { return false }
        guard record.incident.escalation.undelivered.contains(ref.step) else { return true }  // settled meanwhile
        if let step = known ?? Self.step(ref.step, in: record) {
            let (delivered, failures) = Self.outcomes(in: record)
            await withTaskGroup(of: Bool.self) { group in
                for (message, channel) in messages(step, record: record, catalog: catalog) where !delivered.contains(message.key) {
                    let made = failures[message.key] ?? 0
                    group.addTask { await notifier.deliverUntilSettled(message, to: channel, attemptsMade: made) }
                }
                for await _ in group {}
            }
        }
        do {
            _ = try await service.command(ref.id, .settleDeliveries(step: ref.step), actor: "node:\(node.name)")
            return true
        } catch {
            return false
        }
    }

    /// The messages of a step, each with the channel it goes to. Keys are deterministic, so every
    /// node builds the same ones.
    func messages(_ step: EscalationStep, record: IncidentRecord, catalog: OnCallCatalog) -> [(Notifier.Message, String)] {
        let id = record.incident.id
        let title = record.incident.title
        switch step.kind {
        case .announce, .resolution:
            // The initial notification (once per incident) or the resolution notification (once per
            // resolution), from its template.
            let template = step.kind == .announce ? "initial_notification" : "resolution_notification"
            let rendered = (try? templates.render(template, MessageContext.of(record))) ?? "Incident \(id.text): \(title)"
            let (subject, body) = MessageContext.split(rendered)
            return step.targets.filter { $0 != "log" }.map { channel in
                let m = Notifier.Message(
                    incident: id, kind: template, text: body, key: "\(id.text)/\(template)/step-\(step.number)/\(channel)",
                    fields: ["title": .string(title), "severity": .string(record.incident.severity.description)],
                    subject: subject)
                return (m, channel)
            }
        case .page, .ackTimeout, .timeout:
            return step.targets.compactMap { person in
                let contact = catalog.people[person]?.contacts.first
                let channel = contact?.channel ?? "log"
                guard channel != "log" else { return nil }  // already in the node log
                let what = step.kind == .timeout ? "Escalated (timeout)" : "Page"
                let m = Notifier.Message(
                    incident: id, kind: "page", text: "\(what): \(id.text) \(title) — \(step.reason)", key: "\(id.text)/step-\(step.number)/\(person)",
                    fields: ["person": .string(person), "step": .int(Int64(step.number)), "level": .int(Int64(step.level)), "title": .string(title)],
                    address: contact?.address, subject: "[\(what)] \(id.text) \(title)")
                return (m, channel)
            }
        }
    }

    /// The last event of step `number` in the record.
    static func step(_ number: UInt32, in record: IncidentRecord) -> EscalationStep? {
        for e in record.events.reversed() {
            if case .escalationStep(let s) = e.body, s.number == number { return s }
        }
        return nil
    }

    /// Keys delivered, and failed attempts per key, from the record's `notified` entries.
    static func outcomes(in record: IncidentRecord) -> (delivered: Set<String>, failures: [String: Int]) {
        var delivered: Set<String> = []
        var failures: [String: Int] = [:]
        for e in record.events {
            guard case .notified(_, let ok, _, let key) = e.body, !key.isEmpty else { continue }
            if ok { delivered.insert(key) } else { failures[key, default: 0] += 1 }
        }
        return (delivered, failures)
    }
}
