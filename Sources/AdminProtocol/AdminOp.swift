/// Who may do what: admin tokens carry one of these roles (SPEC §7.8).
public enum AdminRole: String, Sendable, Comparable, CaseIterable {
    /// Reads only.
    case viewer
    /// Reads, ingests alerts and works incidents.
    case responder
    /// Everything, including node administration.
    case admin

    var rank: Int {
        switch self {
        case .viewer: 0
        case .responder: 1
        case .admin: 2
        }
    }

    public static func < (lhs: AdminRole, rhs: AdminRole) -> Bool { lhs.rank < rhs.rank }
}

/// The operations of the admin protocol. Docs/admin-protocol.md documents each one's args, result
/// and errors.
public enum AdminOp: String, Sendable, CaseIterable {
    case nodeInfo = "node.info"
    case clusterStatus = "cluster.status"
    case logDigest = "log.digest"
    case alertIngest = "alert.ingest"
    case alertIngestBatch = "alert.ingest_batch"
    case incidentList = "incident.list"
    case incidentGet = "incident.get"
    case incidentAck = "incident.ack"
    case incidentAssign = "incident.assign"
    case incidentNote = "incident.note"
    case incidentUpdate = "incident.update"
    case incidentSeverity = "incident.severity"
    case incidentPriority = "incident.priority"
    case incidentClassify = "incident.classify"
    case incidentWarRoom = "incident.war_room"
    case incidentEscalate = "incident.escalate"
    case incidentResolve = "incident.resolve"
    case incidentReopen = "incident.reopen"
    case incidentClose = "incident.close"
    case incidentReview = "incident.review"
    case metricsGet = "metrics.get"
    case processAnalyze = "process.analyze"
    case adminSnapshot = "admin.snapshot"
    case clusterFaults = "cluster.faults"
    case catalogSet = "catalog.set"
    case catalogGet = "catalog.get"
    case catalogList = "catalog.list"
    case catalogDelete = "catalog.delete"
    case oncallWho = "oncall.who"
    case oncallShifts = "oncall.shifts"
    case oncallGaps = "oncall.gaps"
    case oncallICS = "oncall.ics"
    case escalationStatus = "escalation.status"
    case escalationResetLateness = "escalation.reset_lateness"

    /// The least role allowed to call it.
    public var requiredRole: AdminRole {
        switch self {
        case .nodeInfo, .clusterStatus, .logDigest, .incidentList, .incidentGet, .metricsGet, .processAnalyze, .catalogGet,
            .catalogList, .oncallWho, .oncallShifts, .oncallGaps, .oncallICS, .escalationStatus:
            .viewer
        case .adminSnapshot, .clusterFaults, .catalogSet, .catalogDelete, .escalationResetLateness:
            .admin
        default:
            .responder
        }
    }

    /// Whether it changes state (and so waits for durability before answering).
    public var isWrite: Bool { requiredRole != .viewer }
}
