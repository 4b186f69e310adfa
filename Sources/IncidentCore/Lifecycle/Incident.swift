/// The folded state of one incident: what its events add up to.
///
/// Built only by `IncidentRecord`, which applies events in `EventOrderKey` order. `apply` is total:
/// an event that would be an illegal transition at its place in the order (possible when concurrent
/// changes from two nodes merge) is kept in the timeline but leaves the status alone, the same way on
/// every node.
public struct Incident: Sendable, Equatable {
    /// The id.
    public let id: IncidentID
    /// What opened it.
    public let opening: IncidentOpening
    /// The node that opened it (the owner until cluster ownership takes over).
    public let origin: NodeID

    /// Lifecycle status.
    public internal(set) var status: IncidentStatus = .triggered
    /// Current severity.
    public internal(set) var severity: Severity
    /// Current priority.
    public internal(set) var priority: Priority
    /// Current category.
    public internal(set) var category: Category
    /// Triggers received, the opening one included.
    public internal(set) var alertCount: Int = 1
    /// Last trigger seen.
    public internal(set) var lastSeenAt: Timestamp
    /// Opened at (event time).
    public let createdAt: Timestamp
    /// First acknowledgement.
    public internal(set) var acknowledgedAt: Timestamp?
    /// Service restored (workaround or resolution), latest.
    public internal(set) var mitigatedAt: Timestamp?
    /// Resolved, latest.
    public internal(set) var resolvedAt: Timestamp?
    /// Closed.
    public internal(set) var closedAt: Timestamp?
    /// Assignee (person or team).
    public internal(set) var assignee: String?
    /// Roles filled.
    public internal(set) var roles: [IncidentRole: String] = [:]
    /// War room link.
    public internal(set) var warRoom: String?
    /// Times reopened.
    public internal(set) var reopenCount = 0
    /// Times escalated.
    public internal(set) var escalationCount = 0
    /// Last stakeholder status update.
    public internal(set) var lastStatusUpdateAt: Timestamp?
    /// Whether the source reports the alert resolved.
    public internal(set) var sourceResolved = false
    /// The latest resolution text and type.
    public internal(set) var resolution: (type: ResolutionType, description: String)?
    /// When a review was scheduled.
    public internal(set) var reviewScheduledAt: Timestamp?
    /// When the review was completed.
    public internal(set) var reviewCompletedAt: Timestamp?
    /// Root cause from the review.
    public internal(set) var rootCause: String?
    /// Follow-ups.
    public internal(set) var actionItems: [ActionItem] = []
    /// Published knowledge-base article title.
    public internal(set) var kbArticleTitle: String?
    /// The category an operator confirmed (by resolving or correcting); trains the classifier.
    public internal(set) var confirmedCategory: Category?
    /// Whether an operator corrected the category.
    public internal(set) var categoryCorrected = false
    /// The incident this one was merged into (a duplicate from a membership change).
    public internal(set) var mergedInto: IncidentID?
    /// Duplicates merged into this one, with their alert counts.
    public internal(set) var mergedFrom: [IncidentID: Int] = [:]
    /// Where escalation stands.
    public internal(set) var escalation = EscalationState()

    /// The state right after the `opened` event.
    public init(id: IncidentID, opening: IncidentOpening, origin: NodeID, at: Timestamp) {
        self.id = id
        self.opening = opening
        self.origin = origin
        self.severity = opening.triage.severity
        self.priority = opening.triage.priority
        self.category = opening.triage.category
        self.createdAt = at
        self.lastSeenAt = at
    }

    public static func == (lhs: Incident, rhs: Incident) -> Bool {
        lhs.id == rhs.id && lhs.status == rhs.status && lhs.severity == rhs.severity && lhs.priority == rhs.priority
            && lhs.category == rhs.category && lhs.alertCount == rhs.alertCount && lhs.lastSeenAt == rhs.lastSeenAt
            && lhs.acknowledgedAt == rhs.acknowledgedAt && lhs.mitigatedAt == rhs.mitigatedAt
            && lhs.resolvedAt == rhs.resolvedAt && lhs.closedAt == rhs.closedAt && lhs.assignee == rhs.assignee
            && lhs.roles == rhs.roles && lhs.warRoom == rhs.warRoom && lhs.reopenCount == rhs.reopenCount
            && lhs.escalationCount == rhs.escalationCount && lhs.lastStatusUpdateAt == rhs.lastStatusUpdateAt
            && lhs.sourceResolved == rhs.sourceResolved && lhs.resolution?.type == rhs.resolution?.type
            && lhs.resolution?.description == rhs.resolution?.description
            && lhs.reviewScheduledAt == rhs.reviewScheduledAt && lhs.reviewCompletedAt == rhs.reviewCompletedAt
            && lhs.rootCause == rhs.rootCause && lhs.actionItems == rhs.actionItems
            && lhs.kbArticleTitle == rhs.kbArticleTitle && lhs.confirmedCategory == rhs.confirmedCategory
            && lhs.categoryCorrected == rhs.categoryCorrected && lhs.mergedInto == rhs.mergedInto
            && lhs.mergedFrom == rhs.mergedFrom && lhs.escalation == rhs.escalation
            && lhs.opening == rhs.opening && lhs.createdAt == rhs.createdAt
    }

    /// Dedup key.
    public var dedupKey: String { opening.dedupKey }
    /// Service.
    public var service: String { opening.service }
    /// Title.
    public var title: String { opening.title }
    /// Whether it still takes alerts.
    public var isOpen: Bool { status.isOpen }

    // MARK: - Fold

    /// Applies one event (not `opened`, which `init` handles). Total and deterministic.
    mutating func apply(_ event: IncidentEvent) {
        let at = event.at
        switch event.body {
        case .opened:
            break  // a second opening for the same id cannot be created; ignore
        case .alertRepeated:
            break  // counted by IncidentRecord (per-origin counters), not here
        case .sourceAcknowledged, .acknowledged:
            if moveIfAllowed(to: .acknowledged) {
                acknowledgedAt = acknowledgedAt ?? at
                escalation.lastAcknowledgedAt = at
            }
        case .alertResolved:
            sourceResolved = true
        case .statusChanged(let to, _):
            _ = moveIfAllowed(to: to)
        case .assigned(let who):
            assignee = who
        case .roleAssigned(let role, let person):
            roles[role] = person
        case .warRoomOpened(let link):
            warRoom = link
        case .severityChanged(let s, _):
            severity = s
        case .priorityChanged(let p, _):
            priority = p
        case .categoryChanged(let c, _):
            category = c
            confirmedCategory = c
            categoryCorrected = true
        case .note, .notified, .resolutionVerified, .resolutionFailed:
            break
        case .statusUpdate:
            lastStatusUpdateAt = at
        case .escalated(_, _, let team):
            escalationCount += 1
            if !team.isEmpty { assignee = team }
        case .workaroundApplied(let description):
            if moveIfAllowed(to: .mitigated) {
                mitigatedAt = at
                resolution = (.workaround, description)
            }
        case .resolved(let description):
            if moveIfAllowed(to: .resolved) {
                resolvedAt = at
                mitigatedAt = mitigatedAt ?? at
                resolution = (.permanent, description)
                if category != .unknown { confirmedCategory = confirmedCategory ?? category }
            }
        case .reopened:
            if moveIfAllowed(to: .reopened) {
                escalation.restart(at: at)
                reopenCount += 1
                sourceResolved = false
                resolvedAt = nil  // no longer resolved: MTTR and SLA count the final resolution
                mitigatedAt = nil
            }
        case .closed:
            if moveIfAllowed(to: .closed) { closedAt = at }
        case .reviewScheduled(let when):
            reviewScheduledAt = when
        case .reviewCompleted(let cause, _):
            reviewCompletedAt = at
            rootCause = cause
        case .actionItemAdded(let item):
            actionItems.append(item)
        case .kbArticlePublished(let title, _):
            kbArticleTitle = title
        case .mergedInto(let winner):
            guard mergedInto == nil else { break }  // merged once; a racing second merge changes nothing
            mergedInto = winner
            if status != .closed {
                status = .closed
                closedAt = at
            }
        case .mergedFrom(let loser, let alerts):
            guard mergedFrom[loser] == nil else { break }
            mergedFrom[loser] = alerts
            alertCount += alerts
        case .escalationStep(let step):
            apply(step, at: at)
        case .catalogChanged:
            break  // only in the catalog record
        case .deliveriesSettled(let step):
            escalation.undelivered.removeAll { $0 == step }
        }
    }

    /// Folds an escalation step. Steps fold in event order; two steps with one number (owners that
    /// decided from different views, e.g. one had not seen an acknowledgement) both take effect,
    /// the later last, and the next step is numbered after the highest.
    private mutating func apply(_ step: EscalationStep, at: Timestamp) {
        escalation.lastStep = max(escalation.lastStep, step.number)
        if step.needsDelivery && !escalation.undelivered.contains(step.number) { escalation.undelivered.append(step.number) }
        escalation.nextDueAt = step.nextDueAt
        switch step.kind {
        case .page:
            escalation.level = step.level
            escalation.pass = step.pass
        case .ackTimeout:
            escalation.level = step.level
            escalation.pass = step.pass
            if status == .acknowledged {
                status = .triggered
                escalation.retriggeredAt = at
            }
        case .announce:
            escalation.announced = true
        case .resolution:
            escalation.resolutionAnnounced = true
        case .timeout:
            escalation.timedOut = true
            escalationCount += 1
            if let s = step.severity { severity = s }
        }
    }

    mutating func addRepeats(_ count: Int, lastAt: Timestamp) {
        alertCount += count
        lastSeenAt = max(lastSeenAt, lastAt)
    }

    private mutating func moveIfAllowed(to next: IncidentStatus) -> Bool {
        guard Lifecycle.allows(from: status, to: next) else { return false }
        status = next
        return true
    }
}
