// MARK: - Decisions: command + state + policy → events (pure).

extension IncidentRecord {
    /// The events a command produces, or a `conflict`/`bad_request`/`unavailable` error saying why not.
    ///
    /// An empty result means the command asks for what is already true (setting the current
    /// severity); the caller returns the incident unchanged.
    public func decide(_ command: IncidentCommand, policy: IncidentPolicy, now: Timestamp) throws(DomainError)
        -> [IncidentEventBody]
    {
        let i = incident
        switch command {
        case .acknowledge:
            if i.acknowledgedAt != nil && i.status == .acknowledged {
                throw .conflict("incident \(i.id) is already acknowledged (at \(i.acknowledgedAt!.rfc3339))")
            }
            try Lifecycle.check(i.id, from: i.status, to: .acknowledged)
            return [.acknowledged]
        case .assign(let who):
            try requireNotClosed("assign")
            try requireText(who, "assignee")
            return i.assignee == who ? [] : [.assigned(assignee: who)]
        case .assignRole(let role, let person):
            try requireNotClosed("assign a role to")
            try requireText(person, "person")
            return i.roles[role] == person ? [] : [.roleAssigned(role, person: person)]
        case .openWarRoom:
            try requireNotClosed("open a war room for")
            return i.warRoom == nil ? [.warRoomOpened(link: policy.warRoomLink(for: i.id))] : []
        case .investigate(let note):
            if i.status == .investigating { return [] }
            try Lifecycle.check(i.id, from: i.status, to: .investigating)
            return [.statusChanged(.investigating, note: note)]
        case .postUpdate(let message, let channels):
            try requireNotClosed("post an update to")
            try requireText(message, "message")
            return [.statusUpdate(message: message, channels: channels)]
        case .recordDeliveries(let deliveries):
            return deliveries.map { .notified(channel: $0.channel, ok: $0.ok, detail: $0.detail, key: $0.key) }
        case .settleDeliveries(let step):
            guard i.escalation.undelivered.contains(step) else { return [] }  // settled already (by another owner)
            return [.deliveriesSettled(step: step)]
        case .note(let text):
            try requireText(text, "note")
            return [.note(text)]
        case .setSeverity(let severity, let reason):
            try requireNotClosed("change the severity of")
            return severityChange(to: severity, reason: reason, policy: policy)
        case .setPriority(let priority, let reason):
            try requireNotClosed("change the priority of")
            return i.priority == priority ? [] : [.priorityChanged(priority, reason: reason)]
        case .setCategory(let category, let reason):
            try requireNotClosed("reclassify")
            return i.category == category && i.confirmedCategory == category ? [] : [.categoryChanged(category, reason: reason)]
        case .escalate(let reason, let detail, let team):
            guard i.isOpen else {
                throw .conflict("incident \(i.id) is \(i.status.rawValue); only open incidents can be escalated")
            }
            var out: [IncidentEventBody] = [.escalated(reason, detail: detail, team: team)]
            if reason == .timeout, i.severity != .sev0 {
                out += severityChange(to: i.severity.raised, reason: "escalation timeout", policy: policy)
            }
            return out
        case .resolve(let type, let description, let verification):
            try requireText(description, "resolution")
            try Lifecycle.check(i.id, from: i.status, to: type == .workaround ? .mitigated : .resolved)
            guard verification.passed else {
                return [.resolutionFailed(method: verification.method, reason: verification.detail)]
            }
            var out: [IncidentEventBody] = [.resolutionVerified(method: verification.method, detail: verification.detail)]
            if type == .workaround {
                out.insert(.workaroundApplied(description: description), at: 0)
            } else {
                out.append(.resolved(description: description))
                if i.severity.isMajor, i.reviewScheduledAt == nil {
                    out.append(.reviewScheduled(at: now + policy.reviewDelay))
                }
            }
            return out
        case .reopen(let reason):
            try Lifecycle.check(i.id, from: i.status, to: .reopened)
            return [.reopened(reason: reason.isEmpty ? "reopened by operator" : reason)]
        case .close(let reason, let force):
            try Lifecycle.check(i.id, from: i.status, to: .closed)
            if i.severity.isMajor, i.reviewCompletedAt == nil, !force {
                throw .conflict(
                    "incident \(i.id) is \(i.severity) and needs a completed post-incident review before it closes; "
                        + "run 'aether incident review --incident-id \(i.id)' or close with --force")
            }
            return [.closed(reason: reason.isEmpty ? "closed by operator" : reason)]
        case .completeReview(let cause, let summary, let items, let article):
            guard i.status == .resolved || i.status == .mitigated || i.status == .closed else {
                throw .conflict(
                    "incident \(i.id) is \(i.status.rawValue); a post-incident review needs a mitigated or resolved incident")
            }
            var out: [IncidentEventBody] = [.reviewCompleted(rootCause: cause, summary: summary)]
            out += items.map { .actionItemAdded($0) }
            if let article { out.append(.kbArticlePublished(title: article.title, markdown: article.markdown)) }
            return out
        case .mergeInto(let winner):
            return i.mergedInto == nil && winner != i.id ? [.mergedInto(winner: winner)] : []
        case .absorb(let loser, let alerts):
            return i.mergedFrom[loser] == nil && loser != i.id ? [.mergedFrom(loser: loser, alerts: max(0, alerts))] : []
        case .sourceAcknowledge:
            return Lifecycle.allows(from: i.status, to: .acknowledged) ? [.sourceAcknowledged] : []
        case .sourceResolve(let autoResolve):
            guard i.isOpen else { return [] }
            var out: [IncidentEventBody] = i.sourceResolved ? [] : [.alertResolved]
            if autoResolve, Lifecycle.allows(from: i.status, to: .resolved) {
                out.append(.resolved(description: "resolved by \(i.opening.source.isEmpty ? "source" : i.opening.source)"))
                if i.severity.isMajor, i.reviewScheduledAt == nil {
                    out.append(.reviewScheduled(at: now + policy.reviewDelay))
                }
            }
            return out
        }
    }

    /// What `count` triggers for the dedup key, taken by `origin` between `firstAt` and `lastAt`,
    /// do. The repeat event carries `origin`'s cumulative count for the window (see
    /// `IncidentRecord`), so it merges idempotently on every node.
    public func decideTrigger(
        count: Int, firstAt: Timestamp, lastAt: Timestamp, origin: NodeID, policy: IncidentPolicy, now: Timestamp
    ) -> TriggerDecision {
        let cumulative = repeatCount(origin: origin, at: firstAt) + count
        let repeats = IncidentEventBody.alertRepeated(count: UInt32(clamping: cumulative), firstAt: firstAt, lastAt: lastAt)
        switch incident.status {
        case .closed:
            return .openNew
        case .resolved:
            guard let resolvedAt = incident.resolvedAt, now - resolvedAt < policy.reopenWindow else { return .openNew }
            return .attach([
                .reopened(reason: "alert fired again within \(Int(policy.reopenWindow.seconds / 60)) min of resolution"),
                repeats,
            ])
        default:
            return .attach([repeats])
        }
    }

    private func severityChange(to severity: Severity, reason: String, policy: IncidentPolicy) -> [IncidentEventBody] {
        let i = incident
        guard severity != i.severity else { return [] }
        var out: [IncidentEventBody] = [.severityChanged(severity, reason: reason)]
        let t = i.opening.triage
        let priority = PriorityMatrix.priority(impactScore: t.impact, urgencyScore: t.urgency, severity: severity)
        if priority != i.priority { out.append(.priorityChanged(priority, reason: "severity \(severity)")) }
        if severity.isMajor, i.warRoom == nil { out.append(.warRoomOpened(link: policy.warRoomLink(for: i.id))) }
        return out
    }

    private func requireNotClosed(_ verb: String) throws(DomainError) {
        if incident.status == .closed {
            throw .conflict("incident \(incident.id) is closed; cannot \(verb) a closed incident")
        }
    }

    private func requireText(_ text: String, _ field: String) throws(DomainError) {
        if text.isBlank { throw .badRequest("\(field) is empty; expected some text") }
        if text.utf8.count > 16_384 { throw .badRequest("\(field) is \(text.utf8.count) bytes; expected at most 16384") }
    }
}
