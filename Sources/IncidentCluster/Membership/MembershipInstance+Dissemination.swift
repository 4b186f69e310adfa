import IncidentCore

// MARK: - Dissemination: merging updates, refutation, the broadcast queue, piggybacking

extension MembershipInstance {
    /// How many times each queued update is sent: `retransmitMultiplier · ⌈log10(n + 1)⌉`, where
    /// n counts alive and suspect members including this node.
    var retransmitLimit: Int {
        var n = activeCount + 1
        var digits = 0  // ⌈log10(n + 1)⌉ is the number of decimal digits of n
        while n > 0 {
            digits += 1
            n /= 10
        }
        return configuration.retransmitMultiplier * max(1, digits)
    }

    /// Merges updates in order.
    mutating func apply(_ updates: [Member], now: Timestamp, into directives: inout [Directive]) {
        for update in updates { apply(update, now: now, into: &directives) }
    }

    /// Merges one update about any member (see `Member.supersedes`).
    ///
    /// A newer record replaces ours, is queued for gossip and reported; an older one makes us
    /// queue ours again so that whoever spread it catches up; an unknown member is added if it is
    /// alive or suspect.
    mutating func apply(_ update: Member, now: Timestamp, into directives: inout [Directive]) {
        if update.node == myself.node {
            applyAboutMyself(update, into: &directives)
            return
        }
        guard let i = index(of: update.node) else {
            guard update.state.isActive, entries.count + 1 < configuration.membersMax else { return }
            entries.insert(Entry(member: update, changedAt: now), at: insertionIndex(of: update.node))
            enqueue(update.node, fresh: true)
            directives.append(.memberChanged(update, previous: nil))
            return
        }
        let current = entries[i].member
        if update.supersedes(current) {
            entries[i].member = update
            entries[i].changedAt = now
            enqueue(update.node, fresh: true)
            if update.state != current.state || update.address != current.address || update.region != current.region {
                directives.append(.memberChanged(update, previous: current.state))
                gossipSoon = gossipSoon || update.state != current.state  // state news travels at tick pace
            }
        } else if current.supersedes(update), current.state != update.state || current.state != .alive {
            enqueue(current.node, fresh: false)
        }
    }

    /// Refutes what others believe about this node when it is worse than the truth: a suspicion,
    /// death or departure at our incarnation or later, or any record of a later incarnation
    /// (a previous life of this node). This node then jumps one past that incarnation.
    ///
    /// A refuted suspicion or death is also sent straight to every alive or suspect member (one
    /// small message each, once per refutation): every one of them runs its own suspicion timer,
    /// and an epidemic that happens to miss one would let it declare this node dead.
    mutating func applyAboutMyself(_ update: Member, into directives: inout [Directive]) {
        guard myself.state != .left, update.incarnation < UInt64.max else { return }
        let refute =
            update.incarnation > myself.incarnation
            || (update.incarnation == myself.incarnation && update.state != .alive)
        guard refute else { return }
        myself.incarnation = update.incarnation + 1
        enqueue(myself.node, fresh: true)
        gossipSoon = true
        guard update.state != .alive else { return }
        adjustHealth(1)  // Lifeguard: being suspected hints at local trouble
        for e in entries where e.member.state.isActive {
            directives.append(.send(.gossip(updates: [myself]), to: e.member.address))
        }
    }

    /// Queues `node`'s current record for gossip. `fresh` restarts its transmission count (new
    /// information); otherwise an update already queued keeps its count.
    mutating func enqueue(_ node: NodeID, fresh: Bool) {
        broadcastCounter &+= 1
        if let j = broadcasts.firstIndex(where: { $0.node == node }) {
            if fresh {
                broadcasts[j].transmits = 0
                broadcasts[j].order = broadcastCounter
            }
            return
        }
        broadcasts.append(Broadcast(node: node, transmits: 0, order: broadcastCounter))
    }

    /// The updates for one outgoing message: this node's own record, the destination's record if
    /// it is not alive (so it can refute), then queued updates, fewest-sent and newest first, up
    /// to `gossipPiggybackMax`. Each queued update sent counts one transmission.
    mutating func piggyback(for destination: NodeID?) -> [Member] {
        var updates: [Member] = [myself]
        let limit = max(1, configuration.gossipPiggybackMax)
        updates.reserveCapacity(limit)
        var includedDestination = false
        if let destination, let i = index(of: destination), entries[i].member.state != .alive {
            updates.append(entries[i].member)
            includedDestination = true
        }
        guard !broadcasts.isEmpty, updates.count < limit else { return updates }
        broadcasts.sort { ($0.transmits, $1.order) < ($1.transmits, $0.order) }
        var j = 0
        while j < broadcasts.count, updates.count < limit {
            let node = broadcasts[j].node
            if node == myself.node || (node == destination && includedDestination) {
                broadcasts[j].transmits += 1
            } else if node != destination, let i = index(of: node) {
                updates.append(entries[i].member)
                broadcasts[j].transmits += 1
            }
            j += 1
        }
        let retransmits = retransmitLimit
        broadcasts.removeAll { $0.transmits >= retransmits }
        return updates
    }

    /// Pushes queued updates to `gossipFanout` random alive or suspect members every
    /// `gossipInterval`, while there are any.
    mutating func runGossip(now: Timestamp, into directives: inout [Directive]) {
        guard let due = nextGossipAt, now >= due || gossipSoon else { return }
        gossipSoon = false
        nextGossipAt = now + configuration.gossipInterval
        guard !broadcasts.isEmpty else { return }
        for target in randomMembers(configuration.gossipFanout, excluding: nil, aliveOnly: false) {
            directives.append(.send(.gossip(updates: piggyback(for: target.node)), to: target.address))
            if broadcasts.isEmpty { break }
        }
    }

    /// The member list for a `joinReply`: this node, then alive and suspect members, then dead and
    /// left ones (a restarted node learns about its previous life from them), at most
    /// `MembershipMessage.membersMax`.
    func membersForReply() -> [Member] {
        var list: [Member] = [myself]
        list.reserveCapacity(min(entries.count + 1, MembershipMessage.membersMax))
        for e in entries where e.member.state.isActive && list.count < MembershipMessage.membersMax {
            list.append(e.member)
        }
        for e in entries where !e.member.state.isActive && list.count < MembershipMessage.membersMax {
            list.append(e.member)
        }
        return list
    }
}
