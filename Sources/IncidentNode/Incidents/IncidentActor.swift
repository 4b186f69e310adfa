import IncidentCore
import IncidentStorage

/// Owns one incident: its events and folded state. Every command on the incident runs here, so
/// decisions see the latest state and the incident's events are created in one order.
///
/// The actor decides (pure `IncidentRecord.decide`), appends the events through the sequencer,
/// applies them, and publishes the new summary; callers wait for durability outside the actor so
/// an fsync never blocks the next command.
actor IncidentActor {
    /// Shared collaborators (a class: every actor points at the one instance).
    final class Context: Sendable {
        let sequencer: EventSequencer
        let index: SummaryIndex
        let classifier: ClassifierModel
        let digest: StateDigest
        let policy: IncidentPolicy
        let escalations: EscalationInbox
        let catalog: CatalogStore

        init(
            sequencer: EventSequencer, index: SummaryIndex, classifier: ClassifierModel, digest: StateDigest, policy: IncidentPolicy,
            catalog: CatalogStore, escalations: EscalationInbox = EscalationInbox()
        ) {
            self.catalog = catalog
            self.sequencer = sequencer
            self.index = index
            self.classifier = classifier
            self.digest = digest
            self.policy = policy
            self.escalations = escalations
        }

        /// A service's catalog entry: the replicated catalog's service if it has one, else the node
        /// configuration's.
        func serviceEntry(for service: String) -> ServiceCatalog.Entry {
            catalog.current.services[service]?.catalogEntry ?? policy.services.entry(for: service)
        }
    }

    let id: IncidentID
    /// The incident's anti-entropy bucket (`StateDigest.bucket(of:)`), computed once.
    private let bucket: Int
    private var record: IncidentRecord
    private let context: Context
    private var passivated = false
    private(set) var lastChange: Timestamp
    /// A hash of the escalation view last offered to the supervisor (a hash, not the view: one
    /// word per incident), and whether that view was active.
    private var offeredView: (hash: Int, active: Bool)?

    init(record: IncidentRecord, context: Context, now: Timestamp) {
        self.id = record.incident.id
        self.bucket = StateDigest.bucket(of: record.incident.id)
        self.record = record
        self.context = context
        self.lastChange = now
    }

    /// The current record (a value copy).
    var current: IncidentRecord { record }

    /// What escalation needs of the incident now.
    var escalationView: EscalationView { EscalationView(record.incident) }

    /// Runs an operator or source command; returns the new record and the LSN to wait for (0 when
    /// nothing changed).
    func execute(_ command: IncidentCommand, actor: String) throws(IncidentOpError) -> (IncidentRecord, UInt64) {
        if passivated { throw .moved }
        let now = context.sequencer.now
        let bodies: [IncidentEventBody]
        do { bodies = try record.decide(command, policy: context.policy, now: now) } catch { throw .domain(error) }
        let lsn = try append(bodies, actor: actor, now: now)
        return (record, lsn)
    }

    /// Attaches `count` triggers for the incident's dedup key, or says a new incident is needed.
    func trigger(count: Int, firstAt: Timestamp, lastAt: Timestamp, actor: String) throws(IncidentOpError) -> TriggerOutcome {
        if passivated { throw .moved }
        let now = context.sequencer.now
        switch record.decideTrigger(
            count: count, firstAt: firstAt, lastAt: lastAt, origin: context.sequencer.author, policy: context.policy, now: now)
        {
        case .openNew:
            return .openNew
        case .attach(let bodies):
            return .attached(try append(bodies, actor: actor, now: now))
        }
    }

    /// What came of firing an escalation step.
    enum FireOutcome: Sendable {
        /// The step is recorded.
        case fired(EscalationStep)
        /// The incident moved on (acknowledged, already fired elsewhere): nothing to do.
        case stale
        /// The key has a second open incident: the merge decides which of them pages. Try again
        /// once it is done.
        case heldForMerge
    }

    /// Records escalation step `expected` if it is still what the incident waits for and it is due.
    /// The event is deterministic (`EscalationStep.event`): a racing owner writes the same one.
    func fireEscalation(_ expected: PendingStep, catalog: OnCallCatalog, now: Timestamp) throws(IncidentOpError) -> FireOutcome {
        if passivated { throw .moved }
        // A second open incident for the key appeared since the step was planned (checked here, in
        // the step that would record the page).
        if context.index.hasConflict(record.incident.dedupKey) { return .heldForMerge }
        let view = EscalationView(record.incident)
        let policy = catalog.policy(forService: view.service)
        let target = context.policy.targets(for: view.severity).acknowledge
        let announce = catalog.services[view.service]?.announceChannels ?? []
        guard let pending = EscalationPlanner.pending(view, policy: policy, responseTarget: target, announce: announce), pending == expected,
            pending.due <= now
        else { return .stale }
        var step = EscalationPlanner.step(pending, view: view, policy: policy, channel: "log", announce: announce, onCall: catalog.onCall)
        if step.kind != .announce && step.kind != .resolution {
            // Where the pages went: the first channel beyond the node log, else the log.
            step.channel = step.targets.lazy.compactMap { catalog.people[$0]?.pageChannel }.first { $0 != "log" } ?? "log"
        }
        let event = step.event(incident: id, due: pending.due, opened: record.openingEvent.hlc)
        var recorded = false
        _ = try changing(now: now) { (record) throws(IncidentOpError) -> UInt64 in
            guard record.apply(event) else { return 0 }
            recorded = true
            return try logAuthored(event)
        }
        return recorded ? .fired(step) : .stale
    }

    /// Hands the record over for passivation if the incident is closed and idle; afterwards every
    /// call answers `.moved` so callers go back to the directory.
    func passivateIfIdle(before cutoff: Timestamp) -> IncidentRecord? {
        guard !passivated, record.incident.status == .closed, lastChange < cutoff else { return nil }
        passivated = true
        return record
    }

    private func append(_ bodies: [IncidentEventBody], actor: String, now: Timestamp) throws(IncidentOpError) -> UInt64 {
        guard !bodies.isEmpty else { return 0 }
        return try changing(now: now) { (record) throws(IncidentOpError) -> UInt64 in
            var lsn: UInt64 = 0
            for body in bodies {
                let (event, l) = try logLocal(body, actor: actor)
                lsn = l
                record.apply(event)
            }
            return lsn
        }
    }

    /// Applies events created on other nodes; logs the ones that changed the record. Returns the
    /// LSN to wait for (0 when nothing was new).
    func applyRemote(_ events: [IncidentEvent]) throws(IncidentOpError) -> UInt64 {
        if passivated { throw .moved }
        return try changing(now: context.sequencer.now) { (record) throws(IncidentOpError) -> UInt64 in
            var lsn: UInt64 = 0
            for e in events where record.apply(e) { lsn = try logReplicated(e) }
            return lsn
        }
    }

    /// Merges another node's copy of the incident; logs what changed. Returns the LSN to wait for.
    func merge(_ other: IncidentRecord) throws(IncidentOpError) -> UInt64 {
        if passivated { throw .moved }
        return try changing(now: context.sequencer.now) { (record) throws(IncidentOpError) -> UInt64 in
            var lsn: UInt64 = 0
            for e in record.merge(other) { lsn = try logReplicated(e) }
            return lsn
        }
    }

    private nonisolated func logLocal(_ body: IncidentEventBody, actor: String) throws(IncidentOpError) -> (IncidentEvent, UInt64) {
        do { return try context.sequencer.append(incident: id, actor: actor, body: body) } catch { throw .log(error) }
    }

    private nonisolated func logAuthored(_ e: IncidentEvent) throws(IncidentOpError) -> UInt64 {
        do { return try context.sequencer.appendAuthored(e) } catch { throw .log(error) }
    }

    private nonisolated func logReplicated(_ e: IncidentEvent) throws(IncidentOpError) -> UInt64 {
        do { return try context.sequencer.appendReplicated(e) } catch { throw .log(error) }
    }

    /// Runs a change on the record and keeps the digest, the summary index and the classifier in step.
    private func changing(now: Timestamp, _ body: (inout IncidentRecord) throws(IncidentOpError) -> UInt64) throws(IncidentOpError) -> UInt64 {
        try context.digest.changing { () throws(IncidentOpError) -> UInt64 in try recordChange(now: now, body) }
    }

    private func recordChange(now: Timestamp, _ body: (inout IncidentRecord) throws(IncidentOpError) -> UInt64) throws(IncidentOpError) -> UInt64 {
        let confirmedBefore = record.incident.confirmedCategory
        let digestBefore = record.digest
        let unitsBefore = record.digestUnits
        let lsn: UInt64
        do { lsn = try body(&record) } catch {
            publish(confirmedBefore: confirmedBefore, digestBefore: digestBefore, unitsBefore: unitsBefore)
            throw error
        }
        guard record.digest != digestBefore else { return lsn }
        lastChange = now
        publish(confirmedBefore: confirmedBefore, digestBefore: digestBefore, unitsBefore: unitsBefore)
        return lsn
    }

    private func publish(confirmedBefore: Category?, digestBefore: UInt64, unitsBefore: Int) {
        context.digest.set(id, bucket: bucket, units: record.digestUnits - unitsBefore, from: digestBefore, to: record.digest)
        context.index.update(record.incident.summary)
        let view = EscalationView(record.incident)
        let hash = view.hashValue
        if hash != offeredView?.hash {
            if view.isActive || offeredView?.active == true { context.escalations.observe(view, actor: self) }
            offeredView = (hash, view.isActive)
        }
        let confirmedAfter = record.incident.confirmedCategory
        if confirmedAfter != confirmedBefore {
            context.classifier.retrain(
                tokens: Triage.learningTokens(of: record.incident.opening.alert), from: confirmedBefore, to: confirmedAfter)
        }
    }
}

/// What a trigger did.
enum TriggerOutcome: Sendable {
    /// Attached; wait for this LSN.
    case attached(UInt64)
    /// The incident is past reopening: open a new one.
    case openNew
}

/// Why an incident operation failed.
enum IncidentOpError: Error, Sendable {
    /// The command is not allowed or malformed.
    case domain(DomainError)
    /// The log failed.
    case log(LogError)
    /// The actor was passivated; look the incident up again.
    case moved
}
