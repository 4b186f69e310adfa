import AdminProtocol
import IncidentCluster
import IncidentCore
import Synchronization

/// Runs every incident's escalation on this node: the shell around `EscalationTimers`.
///
/// For `warmup` after start it only tracks (a restarted node may hold stale copies until it has
/// caught up); then each tick (every `tick`, 10 ms by default) it takes the views incident actors changed, follows
/// membership (ownership moves with it) and catalog changes (deadlines are replanned), then
/// - fires the steps due on incidents this node owns: the incident's actor re-plans from its own
///   record and writes the step's deterministic event, so a stale or duplicate fire writes nothing;
/// - raises an `escalation_overdue` alert — its own incident — for any step, owned here or not,
///   still unrecorded `overdueAfter` past due: escalations never stall silently.
///
/// The loop is supervised (`Supervision`): a failed tick is logged and retried, and a loop that
/// keeps failing is restarted with a bounded intensity, each restart said in the node log.
actor EscalationSupervisor {
    /// Counters for `escalation.status`.
    struct Stats: Sendable {
        var fired: UInt64 = 0
        var staleFires: UInt64 = 0
        var overdueRaised: UInt64 = 0
        var restarts: Int = 0
        /// Step deliveries this node took up after another owner (or itself before a restart).
        var deliveriesResumed: UInt64 = 0
        /// Steps held back while their incident's key had a duplicate open incident awaiting merge.
        var heldForMerge: UInt64 = 0
        /// Fire lateness (ms past due) of recent fires, newest last.
        var lateness: [Int64] = []
    }

    let node: NodeID
    private let inbox: EscalationInbox
    private let catalog: CatalogStore
    let service: IncidentService
    let owners: @Sendable () -> [NodeID]
    private let logger: Logger
    private let tick: Duration
    let notifier: Notifier
    /// Message templates (the initial notification).
    let templates: TemplateSet
    /// A major incident this long without a status update reminds its communications lead.
    let reminderAfter: Duration
    /// No step fires before this: a node that just (re)started may hold a stale copy of incidents
    /// until peers have pushed and anti-entropy has run, and must not page from it.
    private let firesFrom: Timestamp
    private var timers: EscalationTimers
    /// The actor of every incident in `timers` (active, with a step pending within `horizon`).
    private var actors: [IncidentID: IncidentActor] = [:]
    /// Incidents whose next step is more than `horizon` away: only its due time and actor, a tenth
    /// of a tracked view's memory (100,000 fresh incidents wait hours for their response deadline).
    private var parked: [IncidentID: (due: Timestamp, actor: IncidentActor)] = [:]
    private var parkedHeap = MinHeap<Parked>()
    /// How far ahead steps are tracked with their views.
    static let horizon: Duration = .seconds(60)

    private struct Parked: Comparable, Sendable {
        var wake: Timestamp
        var id: IncidentID
        var due: Timestamp
        static func < (a: Parked, b: Parked) -> Bool { a.wake != b.wake ? a.wake < b.wake : a.id < b.id }
    }
    /// Incidents with steps whose messages have not all settled (from their views): their owner
    /// delivers them.
    private var undelivered: [IncidentID: (dedupKey: String, steps: [UInt32])] = [:]
    /// Step deliveries running on this node.
    private var delivering: Set<StepDelivery.Ref> = []
    private var catalogVersion: UInt64
    private var stats = Stats()
    private static let latencySamples = 200_000
    /// Most incident actors firing at once.
    private static let fireConcurrency = 256
    /// How long a step of a key with duplicate open incidents waits before it is looked at again.
    private static let mergeHold: Duration = .milliseconds(100)

    init(
        node: NodeID, inbox: EscalationInbox, catalog: CatalogStore, service: IncidentService, overdueAfter: Duration,
        warmup: Duration, notifier: Notifier, templates: TemplateSet, reminderAfter: Duration = .seconds(15 * 60), tick: Duration = .milliseconds(10), owners: @escaping @Sendable () -> [NodeID],
        logger: Logger
    ) {
        self.notifier = notifier
        self.templates = templates
        self.reminderAfter = reminderAfter
        self.firesFrom = service.sequencer.now + warmup
        self.node = node
        self.inbox = inbox
        self.catalog = catalog
        self.service = service
        self.owners = owners
        self.logger = logger
        self.tick = tick
        self.timers = EscalationTimers(node: node, overdueAfter: overdueAfter, ownerOf: { Rendezvous.owner(of: $0, among: $1) })
        self.catalogVersion = catalog.version  // recovery offered every active incident already
    }

    /// Runs until cancelled.
    func run() async {
        await Supervision.run(name: "escalation timers", logger: logger, onRestart: { await self.noteRestart() }) {
            var reminded: Set<String> = []
            var lastReminderScan = self.service.sequencer.now
            while !Task.isCancelled {
                let now = self.service.sequencer.now
                await self.step(now: now)
                if now - lastReminderScan >= .seconds(5), await self.pastWarmup(now) {
                    lastReminderScan = now
                    await self.remindQuietMajorIncidents(now: now, catalog: self.catalog.current, reminded: &reminded)
                }
                try? await Task.sleep(for: self.tick)
            }
        }
    }

    private func noteRestart() { stats.restarts += 1 }

    private func pastWarmup(_ now: Timestamp) -> Bool { now >= firesFrom }

    /// One tick at `now` (tests call it directly with their clock).
    func step(now: Timestamp) async {
        let snapshot = catalog.current
        let version = catalog.version
        let plan = planner(snapshot)
        var offered = inbox.drain()
        if version != catalogVersion {
            // The catalog changed: every active incident may have a new deadline, tracked or not.
            catalogVersion = version
            timers.replan(plan)
            offered += await activeViews()
        }
        offered += await unparked(now: now)
        for (view, actor) in offered { track(view, actor, pending: plan(view), now: now) }
        actors.shrinkIfSparse()
        parked.shrinkIfSparse()
        let members = owners()
        timers.setOwners(members)
        guard now >= firesFrom else { return }  // warming up: deadlines wait in the heap
        var fires: [(IncidentID, PendingStep)] = []
        for directive in timers.due(now: now) {
            switch directive {
            case .fire(let id, let pending):
                fires.append((id, pending))
            case .overdue(let id, let pending, let owner):
                await raiseOverdue(id, pending, owner: owner, now: now)
            }
        }
        if !fires.isEmpty { await fire(fires, catalog: snapshot, now: now) }
        resumeDeliveries(members: members, catalog: snapshot)
    }

    // MARK: - Deliveries

    /// Starts the delivery of every unsettled step this node owns and is not delivering already:
    /// steps a dead owner left, or this node's own from before a restart.
    private func resumeDeliveries(members: [NodeID], catalog snapshot: OnCallCatalog) {
        guard !undelivered.isEmpty else { return }
        for (id, entry) in undelivered where Rendezvous.owner(of: entry.dedupKey, among: members) == node {
            for step in entry.steps where !delivering.contains(StepDelivery.Ref(id: id, step: step)) {
                stats.deliveriesResumed += 1
                startDelivery(StepDelivery.Ref(id: id, step: step), step: nil, catalog: snapshot)
            }
        }
        undelivered.shrinkIfSparse()
    }

    /// Delivers a step's messages beside the tick (a slow receiver never delays the next step).
    private func startDelivery(_ ref: StepDelivery.Ref, step: EscalationStep?, catalog snapshot: OnCallCatalog) {
        guard delivering.insert(ref).inserted else { return }
        let delivery = StepDelivery(service: service, notifier: notifier, templates: templates, node: node)
        Task {
            let settled = await delivery.run(ref, step: step, catalog: snapshot)
            // Not recorded (the log refused it): try again later, not on the next tick.
            if !settled { try? await Task.sleep(for: .seconds(5)) }
            self.finishedDelivery(ref)
        }
    }

    private func finishedDelivery(_ ref: StepDelivery.Ref) { delivering.remove(ref) }

    /// Fires due steps: up to `fireConcurrency` incident actors at a time (each decides and logs its own step), so a burst of due steps during a storm
    /// is not one actor hop after another.
    private func fire(_ fires: [(IncidentID, PendingStep)], catalog snapshot: OnCallCatalog, now: Timestamp) async {
        let actors = fires.map { self.actors[$0.0] }
        var outcomes: [(Int, Result<IncidentActor.FireOutcome, IncidentOpError>)] = []
        outcomes.reserveCapacity(fires.count)
        await withTaskGroup(of: (Int, Result<IncidentActor.FireOutcome, IncidentOpError>).self) { group in
            var next = 0
            func add() {
                let n = next
                next += 1
                guard let actor = actors[n] else {
                    group.addTask { (n, .success(.stale)) }
                    return
                }
                let pending = fires[n].1
                group.addTask { (n, await Self.attempt(actor, pending, snapshot, now)) }
            }
            while next < min(fires.count, Self.fireConcurrency) { add() }
            for await outcome in group {
                outcomes.append(outcome)
                if next < fires.count { add() }
            }
        }
        var pages: [String] = []
        for (n, outcome) in outcomes {
            let (id, pending) = fires[n]
            switch outcome {
            case .success(.stale):
                stats.staleFires += 1
            case .success(.heldForMerge):
                // The merge loop keeps one of the key's open incidents (`Rendezvous.mergeWinner`);
                // paging both would page twice for one problem. Looked at again shortly.
                stats.heldForMerge += 1
                timers.retry(id, pending, at: now + Self.mergeHold)
            case .success(.fired(let step)):
                stats.fired += 1
                let late = (now - pending.due).wholeMilliseconds
                if stats.lateness.count >= Self.latencySamples { stats.lateness.removeFirst(Self.latencySamples / 2) }
                stats.lateness.append(max(0, late))
                pages.append(
                    "\(step.kind == .timeout ? "escalated" : step.kind == .announce || step.kind == .resolution ? "announced" : "paged") incident.id=\(id.text) step=\(step.number) level=\(step.level) who=\(step.targets.joined(separator: ",")) channel=\(step.channel) late.ms=\(late) reason=\(step.reason)")
            case .failure(let error):
                logger.warn("escalation step not recorded; retrying", metadata: ["incident.id": id.text, "step": "\(pending.number)", "error": "\(error)"])
                timers.retry(id, pending, at: now + .seconds(1))
            }
        }
        // The node log keeps one line per step, written together.
        if !pages.isEmpty { logger.info(pages.joined(separator: "\n")) }
        for (n, outcome) in outcomes {
            guard case .success(.fired(let step)) = outcome, step.needsDelivery else { continue }
            startDelivery(StepDelivery.Ref(id: fires[n].0, step: step.number), step: step, catalog: snapshot)
        }
    }

    /// Files an incident under the near timers (with its view) or, when its step is more than
    /// `horizon` away, parks it with only its due time and actor.
    private func track(_ view: EscalationView, _ actor: IncidentActor, pending: PendingStep?, now: Timestamp) {
        if view.escalation.undelivered.isEmpty {
            undelivered.removeValue(forKey: view.id)
        } else {
            undelivered[view.id] = (view.dedupKey, view.escalation.undelivered)
        }
        if let p = pending, p.due > now + Self.horizon {
            timers.update(view, pending: nil)
            actors.removeValue(forKey: view.id)
            if parked[view.id]?.due != p.due { parkedHeap.push(Parked(wake: p.due - Self.horizon, id: view.id, due: p.due)) }
            parked[view.id] = (p.due, actor)
        } else {
            parked.removeValue(forKey: view.id)
            timers.update(view, pending: pending)
            if pending != nil { actors[view.id] = actor } else { actors.removeValue(forKey: view.id) }
        }
    }

    /// Parked incidents whose step came within the horizon, with their current views.
    private func unparked(now: Timestamp) async -> [(EscalationView, IncidentActor)] {
        var out: [(EscalationView, IncidentActor)] = []
        while let top = parkedHeap.peek, top.wake <= now {
            _ = parkedHeap.pop()
            guard let (due, actor) = parked[top.id], due == top.due else { continue }  // moved on since
            parked.removeValue(forKey: top.id)
            out.append((await actor.escalationView, actor))
        }
        return out
    }

    /// The views of every active incident, from their actors (after a catalog change).
    private func activeViews() async -> [(EscalationView, IncidentActor)] {
        var out: [(EscalationView, IncidentActor)] = []
        for (_, entry) in await service.directory.allEntries() {
            guard case .live(let actor) = entry else { continue }
            let view = await actor.escalationView
            if view.isActive { out.append((view, actor)) }
        }
        return out
    }

    private func planner(_ snapshot: OnCallCatalog) -> (EscalationView) -> PendingStep? {
        let policy = service.policy
        return { view in
            EscalationPlanner.pending(
                view, policy: snapshot.policy(forService: view.service), responseTarget: policy.targets(for: view.severity).acknowledge,
                announce: snapshot.services[view.service]?.announceChannels ?? [])
        }
    }

    private static func attempt(_ actor: IncidentActor, _ pending: PendingStep, _ catalog: OnCallCatalog, _ now: Timestamp) async
        -> Result<IncidentActor.FireOutcome, IncidentOpError>
    {
        do { return .success(try await actor.fireEscalation(pending, catalog: catalog, now: now)) } catch { return .failure(error) }
    }

    private func raiseOverdue(_ id: IncidentID, _ pending: PendingStep, owner: NodeID?, now: Timestamp) async {
        stats.overdueRaised += 1
        let late = (now - pending.due).wholeMilliseconds / 1000
        logger.error(
            "escalation step overdue", metadata: ["incident.id": id.text, "step": "\(pending.number)", "owner": owner?.name ?? "-", "late.s": "\(late)"])
        var alert = Alert(title: "Escalation overdue: \(id.text) step \(pending.number) is \(late)s late")
        alert.dedupKey = "escalation_overdue:\(id.text)"
        alert.source = "aether"
        alert.service = "aether"
        alert.component = "escalation"
        alert.severity = .explicit(.sev1)
        alert.description = "Step \(pending.number) (\(pending.kind)) of \(id.text) was due at \(pending.due.rfc3339) and is not in the log; owner \(owner?.name ?? "unknown"). Check that node."
        alert.labels = ["incident": id.text, "step": "\(pending.number)", "owner": owner?.name ?? ""]
        do { _ = try await service.ingest([alert], actor: "node:\(node.name)") } catch {
            logger.error("could not raise escalation_overdue", metadata: ["incident.id": id.text, "error": "\(error)"])
        }
    }

    /// Counters, fire lateness percentiles and timer counts.
    func status(resetLateness: Bool = false) -> (stats: Stats, tracked: Int, parked: Int, ownedPending: Int, warmingUp: Bool) {
        defer { if resetLateness { stats.lateness.removeAll() } }
        return (stats, timers.tracked, parked.count, timers.ownedPending, service.sequencer.now < firesFrom)
    }
}

/// Runs a long-lived child loop and restarts it when it ends unexpectedly, at most `intensity`
/// times per `period` (then gives up and says so): Erlang-style restart intensity.
enum Supervision {
    static func run(
        name: String, logger: Logger, intensity: Int = 5, period: Duration = .seconds(60),
        onRestart: @Sendable () async -> Void, _ body: @Sendable () async -> Void
    ) async {
        var restarts: [ContinuousClock.Instant] = []
        while !Task.isCancelled {
            await body()
            if Task.isCancelled { return }
            let now = ContinuousClock.now
            restarts = restarts.filter { now - $0 < period } + [now]
            guard restarts.count <= intensity else {
                logger.error("\(name) stopped too often; not restarting", metadata: ["restarts": "\(restarts.count)", "period.s": "\(period)"])
                return
            }
            logger.warn("\(name) stopped unexpectedly; restarting", metadata: ["restart": "\(restarts.count)"])
            await onRestart()
            try? await Task.sleep(for: .milliseconds(100 * restarts.count))
        }
    }
}

extension Dictionary {
    /// Dictionaries keep their capacity when emptied; after a storm, give the memory back.
    mutating func shrinkIfSparse() {
        guard capacity > 4096, count * 4 < capacity else { return }
        self = Dictionary(uniqueKeysWithValues: map { ($0.key, $0.value) })
    }
}
