/// One step of an incident's escalation, as one event: a page of a policy level, a re-page after an
/// acknowledgement timed out, or the `timeout` escalation (severity raised, managers notified).
///
/// Steps are numbered 1, 2, 3 … per incident. The event that records a step has a deterministic id
/// (`eventID(due:)`), clock reading (its due time) and content, so two nodes that both fire it
/// during an ownership change write the same event, which the log holds once.
public struct EscalationStep: Sendable, Equatable {
    /// What the step does.
    public enum Kind: UInt8, Sendable, Equatable {
        /// Page a level's targets (the first page, the next level, or a repeat pass).
        case page = 1
        /// The acknowledgement timed out: the incident is triggered again and the level re-paged.
        case ackTimeout = 2
        /// The policy ran out, or the severity's response target passed: the severity goes up one
        /// step and the escalation managers are notified.
        case timeout = 3
        /// The initial notification to the service's announce channels (`targets` names them):
        /// once per incident, before any page.
        case announce = 4
        /// The resolution notification to the same channels, once per resolution.
        case resolution = 5
    }

    /// 1, 2, 3 … within the incident.
    public var number: UInt32
    /// What it does.
    public var kind: Kind
    /// The policy level paged (1-based; 0 for `timeout`).
    public var level: UInt16
    /// 0 on the first pass through the levels, then 1, 2 … for repeats.
    public var pass: UInt16
    /// The policy that drove it ("" when the service has none).
    public var policy: String
    /// The people paged (or, for `timeout`, notified).
    public var targets: [String]
    /// The channel the page went to.
    public var channel: String
    /// For `timeout`: the raised severity.
    public var severity: Severity?
    /// When the next step is due if nobody acknowledges: the durable deadline, in the log.
    public var nextDueAt: Timestamp?
    /// Why, for people: "level 2 of payments: level 1 unacknowledged for 5m".
    public var reason: String

    /// Creates a step.
    public init(
        number: UInt32, kind: Kind, level: UInt16, pass: UInt16, policy: String, targets: [String], channel: String,
        severity: Severity?, nextDueAt: Timestamp?, reason: String
    ) {
        self.number = number
        self.kind = kind
        self.level = level
        self.pass = pass
        self.policy = policy
        self.targets = targets
        self.channel = channel
        self.severity = severity
        self.nextDueAt = nextDueAt
        self.reason = reason
    }

    /// Whether the step has messages for channels beyond the node log; their delivery then ends
    /// with a `deliveriesSettled` event.
    public var needsDelivery: Bool {
        switch kind {
        case .announce, .resolution: return targets.contains { $0 != "log" }
        case .page, .ackTimeout, .timeout: return !targets.isEmpty && channel != "log"
        }
    }

    /// The author of every escalation-step event (no node: any owner writes the same event).
    public static let author = NodeID("escalation")
    /// The actor shown on escalation entries.
    public static let actor = "escalation"

    /// The deterministic id of this step's event: the step number in the high 32 bits, a hash of
    /// the whole step and its due time in the low 32. Two owners that make the same decision from
    /// the same facts write the same id, which the log holds once; owners that decided differently
    /// (one had not seen an acknowledgement, or had another catalog) write two steps, both kept and
    /// folded in event order.
    public func eventID(due: Timestamp) -> EventID {
        var w = ByteWriter(capacity: 128)
        encode(into: &w)
        w.writeTimestamp(due)
        let h = FNV1a.hash64(w.bytes)
        return EventID(origin: Self.author, seq: UInt64(number) << 32 | ((h ^ (h >> 32)) & 0xFFFF_FFFF))
    }

    /// The step's event for `incident`, stamped with its due time — or just after the incident's
    /// opening (`opened`), when it is due in the opening's own millisecond — so every node that
    /// fires it writes the same reading.
    public func event(incident: IncidentID, due: Timestamp, opened: HLCTimestamp) -> IncidentEvent {
        let hlc = max(HLCTimestamp(wallMillis: UInt64(max(0, due.unixMillis)), logical: 0), HLCTimestamp(raw: opened.raw + 1))
        return IncidentEvent(id: eventID(due: due), hlc: hlc, incident: incident, actor: Self.actor, body: .escalationStep(self))
    }
}

/// Where an incident's escalation stands: folded from its escalation-step and acknowledgement
/// events, read by `EscalationPlanner`.
public struct EscalationState: Sendable, Hashable {
    /// The last step applied (0: none yet).
    public var lastStep: UInt32 = 0
    /// Level of the last page (1-based; 0 before the first).
    public var level: UInt16 = 0
    /// Pass of the last page.
    public var pass: UInt16 = 0
    /// When the next step is due if nobody acknowledges (from the last step's event).
    public var nextDueAt: Timestamp?
    /// Whether the `timeout` escalation happened.
    public var timedOut = false
    /// When the incident was last acknowledged (an ack-timeout step counts from here).
    public var lastAcknowledgedAt: Timestamp?
    /// When the last ack-timeout step made the incident triggered again.
    public var retriggeredAt: Timestamp?
    /// When the incident was last reopened: escalation starts over from level 1 then.
    public var restartedAt: Timestamp?
    /// Whether the initial notification went out.
    public var announced = false
    /// Whether the latest resolution was announced.
    public var resolutionAnnounced = false
    /// Steps whose messages (pages, announcements) are not all settled yet, oldest first: the
    /// incident's owner delivers them, and a new owner resumes what a dead one left.
    public var undelivered: [UInt32] = []

    /// The state before any step.
    public init() {}

    /// Starts escalation over (the incident was reopened): level 1 next, a fresh response
    /// deadline, no acknowledgement yet; step numbers keep counting.
    mutating func restart(at t: Timestamp) {
        level = 0
        pass = 0
        nextDueAt = nil
        timedOut = false
        lastAcknowledgedAt = nil
        restartedAt = t
        resolutionAnnounced = false
    }
}
