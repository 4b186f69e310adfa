import IncidentCluster
import IncidentCore
import IncidentStorage
import Synchronization

/// Shares one copy of strings that repeat across many events (actor names such as
/// `integration:prometheus`), so 100,000 events do not each hold their own heap copy.
final class StringInterner: Sendable {
    private let table = Mutex<[String: String]>([:])
    private let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// The shared copy of `s` (or `s` itself once the table is full).
    func intern(_ s: String) -> String {
        if s.utf8.count <= 15 { return s }  // small strings live inline; nothing to share
        return table.withLock { t in
            if let shared = t[s] { return shared }
            if t.count < capacity { t[s] = s }
            return s
        }
    }
}

/// The node's incident operations, between the admin protocol and the actors: alert intake with
/// dedup, commands, reads, metrics. Stateless itself; every piece of state has its own owner.
public final class IncidentService: Sendable {
    let directory: IncidentDirectory
    let index: SummaryIndex
    let sequencer: EventSequencer
    let policy: IncidentPolicy
    let classifier: ClassifierModel
    let digest: StateDigest
    /// People, schedules, policies, services.
    let catalog: CatalogStore
    let actorNames = StringInterner(capacity: 4096)
    /// Alerts for keys this node handles, ingested in passes shared by concurrent callers.
    private let local: CombiningQueue<LocalIngest.Item, LocalIngest.Outcome>

    init(directory: IncidentDirectory, context: IncidentActor.Context) {
        let pass = LocalIngest(directory: directory, sequencer: context.sequencer, actorNames: actorNames)
        let router = self.router
        local = CombiningQueue(
            itemsPerPass: 16_384, pace: { router.current?.replicates() == true ? Self.clusterPace : .zero }
        ) { items, between in await pass.run(items, between: between) }
        self.directory = directory
        self.index = context.index
        self.sequencer = context.sequencer
        self.policy = context.policy
        self.classifier = context.classifier
        self.digest = context.digest
        self.catalog = context.catalog
    }

    /// The outcome of one alert.
    public struct IngestResult: Sendable, Equatable {
        /// The incident it attached to or opened (nil for an acknowledge/resolve with no incident).
        public var incidentID: IncidentID?
        /// Whether this alert opened the incident.
        public var created: Bool
        /// The dedup key used.
        public var dedupKey: String
        /// Nodes holding it durably, when another node (the key's decider in this region) took it; nil when local.
        public var forwardedReplicas: Int?
    }

    /// Sends alerts to the node deciding their dedup key (set by the cluster shell; nil on a lone node).
    let router = RouterBox()

    /// The least time between the starts of two large ingest passes while other nodes are alive
    /// (`CombiningQueue` pacing): each event a pass makes is pushed to and applied on every
    /// peer, so under a storm a pass that waits to take more requests makes fewer events per
    /// alert. On three nodes sharing two cores, 20 ms or less leaves them saturated; 40 ms raised
    /// C1 by a quarter and cut a single alert's p99 under the half-rate storm from ≈ 160 ms to
    /// ≈ 20 ms; 60 ms makes a third fewer events again, and in alternating runs on a slow machine
    /// cut that p99's median from 29.5 to 19.5 ms with C1 unchanged; 90 ms, in twelve alternating
    /// pairs in a slower hour, cut it again (medians 36 → 29 and 55 → 35 ms) and raised C1 by a
    /// sixth; 150 ms was no better than 90 (Docs/PERFORMANCE.md).
    static let clusterPace: Duration = .milliseconds(90)
    /// Submissions of at most this many triggers are not paced (they commute with other triggers).
    static let urgentAlerts = 4

    /// Ingests validated alerts. Triggers for one key are coalesced into one event, within a call and
    /// across the calls in flight together (`LocalIngest`).
    /// Returns one result per alert, in order, and the LSN that makes them all durable.
    func ingest(_ alerts: [Alert], actor: String, forward: Bool = true) async throws(IncidentOpError) -> ([IngestResult], UInt64) {
        var mine: [Int] = []
        var remote: [NodeID: [Int]] = [:]
        let router = forward ? self.router.current : nil
        // One look at the membership per call; with no other decider every key is this node's.
        let deciders = router?.deciders() ?? []
        let routing = deciders.count > 1
        var results = alerts.map { IngestResult(incidentID: nil, created: false, dedupKey: $0.effectiveDedupKey) }
        for (n, r) in results.enumerated() {
            if routing, let decider = Rendezvous.owner(of: r.dedupKey, among: deciders), decider != sequencer.node {
                remote[decider, default: []].append(n)  // the key's owner in this region dedups it (SPEC §7.5)
            } else {
                mine.append(n)
            }
        }
        var lsn: UInt64 = 0
        // Forwards to other deciders run while this node handles its own keys.
        var localError: IncidentOpError?
        let forwarded: [(NodeID, [Int], (replicas: Int, results: [ForwardedAnswer])?)] = await withTaskGroup(
            of: (NodeID, [Int], (replicas: Int, results: [ForwardedAnswer])?).self
        ) { group in
            if let router {
                for (owner, indices) in remote {
                    let batch = indices.map { alerts[$0] }
                    group.addTask { (owner, indices, await router.forward(batch, to: owner)) }
                }
            }
            let triggersOnly = mine.allSatisfy { alerts[$0].action == .trigger }
            let outcomes = await local.submit(
                mine.map { LocalIngest.Item(alert: alerts[$0], key: results[$0].dedupKey, actor: actor) },
                urgent: triggersOnly && mine.count <= Self.urgentAlerts, commutes: triggersOnly)
            for (k, n) in mine.enumerated() {
                let o = outcomes[k]
                if let e = o.error, localError == nil { localError = e }
                results[n].incidentID = o.incident
                results[n].created = o.created
                lsn = max(lsn, o.lsn)
            }
            var out: [(NodeID, [Int], (replicas: Int, results: [ForwardedAnswer])?)] = []
            for await r in group { out.append(r) }
            return out
        }
        if let localError { throw localError }
        for (_, indices, answer) in forwarded {
            if let (replicas, answers) = answer, answers.count == indices.count {
                for (k, n) in indices.enumerated() {
                    results[n].incidentID = answers[k].incident
                    results[n].created = answers[k].created
                    results[n].forwardedReplicas = replicas
                }
            } else {
                // The owner did not answer in time: take the alerts here (never refuse an alert);
                // a duplicate incident this creates is merged once the owner is back.
                let (local, l) = try await ingest(indices.map { alerts[$0] }, actor: actor, forward: false)
                for (k, n) in indices.enumerated() { results[n] = local[k] }
                lsn = max(lsn, l)
            }
        }
        return (results, lsn)
    }

    /// Runs a command on an incident (retrying once if the incident was passivated meanwhile).
    func command(_ id: IncidentID, _ command: IncidentCommand, actor: String) async throws(IncidentOpError)
        -> (IncidentRecord, UInt64)
    {
        for _ in 0..<3 {
            let a = try await directory.actor(for: id)
            do { return try await a.execute(command, actor: actor) } catch .moved { continue }
        }
        throw .domain(.conflict("incident \(id) is being archived; retry"))
    }

    /// An incident's record.
    func record(_ id: IncidentID) async throws(IncidentOpError) -> IncidentRecord {
        // A passivated actor still holds the record it handed over, so reading it is correct.
        try await directory.actor(for: id).current
    }

    /// Metrics over all incidents.
    func metrics(since: Timestamp?, until: Timestamp?) -> IncidentMetrics {
        IncidentMetrics.compute(index.all(), since: since, until: until, policy: policy, now: sequencer.now)
    }
}

/// Where alerts for keys this node does not own go.
protocol AlertRouter: Sendable {
    /// The nodes that decide dedup keys' incidents for alerts arriving here: this region's alive
    /// members and this node (`Rendezvous.deciders`).
    func deciders() -> [NodeID]
    /// Whether other nodes are alive (every event made here is pushed to and applied on each).
    func replicates() -> Bool
    /// Sends alerts to the node deciding their keys; nil when it did not answer in time.
    func forward(_ alerts: [Alert], to owner: NodeID) async -> (replicas: Int, results: [IncidentService.ForwardedAnswer])?
}

extension IncidentService {
    /// The deciding node's answer for one forwarded alert.
    struct ForwardedAnswer: Sendable {
        var incident: IncidentID?
        var created: Bool
    }
}

/// Holds the router, set once the cluster shell exists.
final class RouterBox: Sendable {
    private let router = Mutex<(any AlertRouter)?>(nil)
    var current: (any AlertRouter)? { router.withLock { $0 } }
    func set(_ r: any AlertRouter) { router.withLock { $0 = r } }
}
