import IncidentCore

// MARK: - Failure detection: probes, indirect probes, suspicion, joins and reconnection

extension MembershipInstance {
    /// Probe interval stretched by the local health score (Lifeguard).
    var currentProbeInterval: Duration { configuration.probeInterval * (1 + localHealthScore) }

    /// Direct-ack timeout stretched by the local health score (Lifeguard).
    var currentProbeTimeout: Duration { configuration.probeTimeout * (1 + localHealthScore) }

    /// Moves the local health score by `delta`, within 0…`localHealthMax`.
    mutating func adjustHealth(_ delta: Int) {
        localHealthScore = min(configuration.localHealthMax, max(0, localHealthScore + delta))
    }

    /// Escalates the probe in flight (indirect probes, then suspicion) and starts the next one.
    mutating func runProbe(now: Timestamp, into directives: inout [Directive]) {
        if var p = probe {
            if !p.indirectSent, now >= p.timeoutAt {
                p.indirectSent = true
                if let i = index(of: p.target), entries[i].member.state.isActive {
                    let target = entries[i].member
                    directives.append(
                        .send(.ping(sequence: p.sequence, updates: piggyback(for: target.node)), to: target.address))
                    let helpers = randomMembers(configuration.indirectProbes, excluding: target.node, aliveOnly: true)
                    for helper in helpers {
                        let message = MembershipMessage.pingRequest(
                            sequence: p.sequence, target: target, updates: piggyback(for: helper.node))
                        directives.append(.send(message, to: helper.address))
                    }
                    p.expectedNacks = helpers.count
                }
                probe = p
            }
            if now >= p.deadline {
                probe = nil
                probeFailed(p, now: now, into: &directives)
            }
        }
        guard probe == nil, let due = nextProbeAt, now >= due else { return }
        let interval = currentProbeInterval
        nextProbeAt = now + interval
        guard let target = nextProbeTarget() else { return }
        let p = Probe(
            target: target.node, sequence: nextSequence(), timeoutAt: now + currentProbeTimeout,
            deadline: now + interval)
        probe = p
        directives.append(.send(.ping(sequence: p.sequence, updates: piggyback(for: target.node)), to: target.address))
    }

    /// No ack by the end of the interval: adjust local health and suspect the target.
    mutating func probeFailed(_ p: Probe, now: Timestamp, into directives: inout [Directive]) {
        // Lifeguard: helpers that did not even nack suggest that this node is the slow one.
        adjustHealth(p.expectedNacks > 0 ? max(0, p.expectedNacks - p.nacks) : 1)
        guard let i = index(of: p.target), entries[i].member.state == .alive else { return }
        let previous = entries[i].member.state
        entries[i].member.state = .suspect
        entries[i].changedAt = now
        enqueue(p.target, fresh: true)
        gossipSoon = true
        directives.append(.memberChanged(entries[i].member, previous: previous))
        // Tell the suspect straight away, so that if it is only slow it can refute in time.
        let suspect = entries[i].member
        directives.append(.send(.gossip(updates: piggyback(for: suspect.node)), to: suspect.address))
    }

    /// An ack arrived: it either ends this node's probe or is forwarded for a `pingRequest`.
    mutating func onAck(sequence: UInt64, into directives: inout [Directive]) {
        if let p = probe, p.sequence == sequence {
            probe = nil
            adjustHealth(-1)
        } else if let j = indirectProbes.firstIndex(where: { $0.sequence == sequence }) {
            let served = indirectProbes.remove(at: j)
            let requester = node(at: served.requesterAddress)
            let ack = MembershipMessage.ack(sequence: served.requesterSequence, updates: piggyback(for: requester))
            directives.append(.send(ack, to: served.requesterAddress))
        }
    }

    /// Serves a `pingRequest`: pings the target on the requester's behalf.
    mutating func onPingRequest(
        sequence: UInt64, target: Member, from address: String, now: Timestamp, into directives: inout [Directive]
    ) {
        if target.node == myself.node {
            // The requester's direct ping to us was lost or late; answer it directly.
            let ack = MembershipMessage.ack(sequence: sequence, updates: piggyback(for: node(at: address)))
            directives.append(.send(ack, to: address))
            return
        }
        guard indirectProbes.count < configuration.pendingIndirectProbesMax else { return }
        // Nack early enough to reach the requester before the end of its probe interval.
        let window = configuration.probeInterval - configuration.probeTimeout
        let nackDelay = min(configuration.probeTimeout, window * 0.8)
        let served = IndirectProbe(
            sequence: nextSequence(), requesterAddress: address, requesterSequence: sequence,
            nackAt: now + nackDelay, expiresAt: now + configuration.probeInterval)
        indirectProbes.append(served)
        let address = index(of: target.node).map { entries[$0].member.address } ?? target.address
        directives.append(.send(.ping(sequence: served.sequence, updates: piggyback(for: target.node)), to: address))
    }

    /// Sends due nacks and forgets expired helper probes.
    mutating func runIndirectProbes(now: Timestamp, into directives: inout [Directive]) {
        guard !indirectProbes.isEmpty else { return }
        for j in indirectProbes.indices where !indirectProbes[j].nackSent && now >= indirectProbes[j].nackAt {
            indirectProbes[j].nackSent = true
            let served = indirectProbes[j]
            directives.append(.send(.nack(sequence: served.requesterSequence), to: served.requesterAddress))
        }
        indirectProbes.removeAll { now >= $0.expiresAt }
    }

    /// Declares expired suspects dead and forgets dead and left members after `deadRetention`.
    mutating func sweepMembers(now: Timestamp, into directives: inout [Directive]) {
        let suspicion = suspicionTimeout
        var forgotten: [NodeID] = []
        for i in entries.indices {
            switch entries[i].member.state {
            case .alive:
                break
            case .suspect:
                guard now >= entries[i].changedAt + suspicion else { continue }
                entries[i].member.state = .dead
                entries[i].changedAt = now
                enqueue(entries[i].member.node, fresh: true)
                gossipSoon = true
                directives.append(.memberChanged(entries[i].member, previous: .suspect))
            case .dead, .left:
                if now >= entries[i].changedAt + configuration.deadRetention {
                    forgotten.append(entries[i].member.node)
                }
            }
        }
        guard !forgotten.isEmpty else { return }
        entries.removeAll { forgotten.contains($0.member.node) }
        broadcasts.removeAll { forgotten.contains($0.node) }
    }

    /// Resends `join` to seeds until one answers; afterwards, now and then to seeds that are not
    /// alive members (so groups that forgot each other merge again).
    mutating func runJoinRetries(now: Timestamp, into directives: inout [Directive]) {
        guard !seeds.isEmpty else { return }
        if !hasJoined {
            guard let due = nextJoinAt, now >= due else { return }
            nextJoinAt = now + configuration.joinRetryInterval
            for seed in seeds { directives.append(.send(.join(myself), to: seed)) }
            return
        }
        guard let due = nextSeedRetryAt, now >= due else { return }
        nextSeedRetryAt = now + configuration.seedRetryInterval
        for seed in seeds where !entries.contains(where: { $0.member.address == seed && $0.member.state.isActive }) {
            directives.append(.send(.join(myself), to: seed))
        }
    }

    /// Pings one remembered dead member, carrying its `dead` record: if it is in fact alive (a
    /// healed partition), it refutes, and its answer tells this node the same about itself.
    mutating func runReconnect(now: Timestamp, into directives: inout [Directive]) {
        guard let due = nextReconnectAt, now >= due else { return }
        nextReconnectAt = now + configuration.reconnectInterval
        let dead = entries.indices.filter { entries[$0].member.state == .dead }
        guard let i = dead.randomElement(using: &random) else { return }
        let member = entries[i].member
        directives.append(
            .send(.ping(sequence: nextSequence(), updates: piggyback(for: member.node)), to: member.address))
    }

    /// Anti-entropy pull: asks one random alive member for its member list.
    mutating func runSync(now: Timestamp, into directives: inout [Directive]) {
        guard let due = nextSyncAt, now >= due else { return }
        nextSyncAt = now + configuration.syncInterval
        guard hasJoined, let peer = randomMembers(1, excluding: nil, aliveOnly: true).first else { return }
        directives.append(.send(.join(myself), to: peer.address))
    }

    /// The next member to probe: round-robin over alive and suspect members, reshuffled each round.
    mutating func nextProbeTarget() -> Member? {
        for _ in 0..<2 {
            while probeIndex < probeOrder.count {
                let node = probeOrder[probeIndex]
                probeIndex += 1
                if let i = index(of: node), entries[i].member.state.isActive { return entries[i].member }
            }
            probeOrder = entries.filter { $0.member.state.isActive }.map(\.member.node)
            probeOrder.shuffle(using: &random)
            probeIndex = 0
        }
        return nil
    }

    /// Up to `count` distinct random members other than this node and `excluded`.
    mutating func randomMembers(_ count: Int, excluding excluded: NodeID?, aliveOnly: Bool) -> [Member] {
        var candidates = entries.filter {
            $0.member.node != excluded && ($0.member.state == .alive || (!aliveOnly && $0.member.state == .suspect))
        }
        let n = min(count, candidates.count)
        for k in 0..<n {
            candidates.swapAt(k, Int.random(in: k..<candidates.count, using: &random))
        }
        return candidates.prefix(n).map(\.member)
    }

    /// The member whose gossip address is `address`, if known.
    func node(at address: String) -> NodeID? {
        entries.first { $0.member.address == address }?.member.node
    }

    /// Who sent a message: its own record comes first in `updates`; else look the address up.
    func senderNode(address: String, updates: [Member]) -> NodeID? {
        if let first = updates.first, first.address == address { return first.node }
        return node(at: address)
    }
}
