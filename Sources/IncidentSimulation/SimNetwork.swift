import IncidentCore

/// How the simulated network misbehaves when no fault is active (after TigerBeetle's
/// `packet_simulator.zig`: every packet gets a random delay, and may be lost or replayed).
public struct SimNetworkConfiguration: Sendable, Equatable {
    /// Shortest one-way delay, in milliseconds.
    public var delayMinMillis: Int64 = 1
    /// Longest ordinary one-way delay, in milliseconds.
    public var delayMaxMillis: Int64 = 20
    /// Chance that a packet is much slower than usual (a retransmission, a GC pause on the path).
    public var slowChance = 0.02
    /// Longest delay of a slow packet, in milliseconds.
    public var slowDelayMaxMillis: Int64 = 1500
    /// Chance that a packet is lost.
    public var lossRate = 0.02
    /// Chance that a packet is delivered twice (the copy at its own random delay).
    public var duplicateRate = 0.01

    /// The defaults above.
    public init() {}

    /// A network with no loss, duplication or slow packets (for the phase after faults heal).
    public var calm: SimNetworkConfiguration {
        var c = self
        c.lossRate = 0
        c.slowChance = 0
        return c
    }
}

/// A directed link between two simulated nodes.
public struct SimLink: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// Sending node index.
    public var from: Int
    /// Receiving node index.
    public var to: Int

    /// Creates a link.
    public init(from: Int, to: Int) {
        self.from = from
        self.to = to
    }

    public static func < (a: SimLink, b: SimLink) -> Bool { (a.from, a.to) < (b.from, b.to) }

    public var description: String { "\(from)→\(to)" }
}

/// The network between simulated nodes: decides, for each message, whether and when it arrives.
///
/// Messages are never held here; `deliveries` returns the virtual times at which copies arrive
/// (none: lost; two: duplicated) and the simulator schedules them, so reordering falls out of the
/// random delays. Faults layer on top: partitions block directed links (one-way or both ways,
/// counted so that overlapping partitions heal independently), clogs hold a link's packets until
/// a time, loss bursts raise the loss rate for a while.
public struct SimNetwork {
    /// The misbehaviour without faults.
    public var configuration: SimNetworkConfiguration
    /// How many active partitions block each directed link.
    private var blocked: [SimLink: Int] = [:]
    /// Links whose packets are held until a virtual time.
    private var cloggedUntil: [SimLink: Int64] = [:]
    /// An extra loss rate and when it ends.
    private var burst: (rate: Double, until: Int64)?

    /// Counters, for reports.
    public private(set) var sent = 0
    /// Packets dropped (loss or partition).
    public private(set) var dropped = 0
    /// Extra copies delivered.
    public private(set) var duplicated = 0

    /// A network with the given behaviour and no faults.
    public init(configuration: SimNetworkConfiguration) {
        self.configuration = configuration
    }

    /// When copies of a message sent now from `from` to `to` arrive (empty: it is lost).
    /// - Parameter duplicable: false for messages a TCP connection would never deliver twice and
    ///   whose handling is not idempotent (forwarded alerts).
    public mutating func deliveries(from: Int, to: Int, now: Int64, duplicable: Bool = true, random: inout SeededRandom) -> [Int64] {
        sent += 1
        let link = SimLink(from: from, to: to)
        if (blocked[link] ?? 0) > 0 {
            dropped += 1
            return []
        }
        var loss = configuration.lossRate
        if let b = burst, now < b.until { loss = max(loss, b.rate) }
        if random.chance(loss) {
            dropped += 1
            return []
        }
        var out = [arrival(link, now: now, random: &random)]
        if duplicable, random.chance(configuration.duplicateRate) {
            duplicated += 1
            out.append(arrival(link, now: now, random: &random))
        }
        return out
    }

    private func arrival(_ link: SimLink, now: Int64, random: inout SeededRandom) -> Int64 {
        var delay = random.int(in: configuration.delayMinMillis...max(configuration.delayMinMillis, configuration.delayMaxMillis))
        if random.chance(configuration.slowChance) {
            delay += random.int(in: 0...max(0, configuration.slowDelayMaxMillis))
        }
        let start = max(now, cloggedUntil[link] ?? now)
        return start + delay
    }

    /// Blocks every link from a node in `from` to a node in `to` (a one-way partition; call twice,
    /// swapped, for a two-way one).
    public mutating func block(from: [Int], to: [Int]) {
        for a in from { for b in to where a != b { blocked[SimLink(from: a, to: b), default: 0] += 1 } }
    }

    /// Lifts one `block(from:to:)` with the same arguments.
    public mutating func unblock(from: [Int], to: [Int]) {
        for a in from {
            for b in to where a != b {
                let link = SimLink(from: a, to: b)
                let n = (blocked[link] ?? 0) - 1
                blocked[link] = n > 0 ? n : nil
            }
        }
    }

    /// Holds the packets of a link until `until` (they arrive afterwards, in a burst).
    public mutating func clog(_ link: SimLink, until: Int64) {
        cloggedUntil[link] = max(cloggedUntil[link] ?? 0, until)
    }

    /// Raises the loss rate to `rate` until `until`.
    public mutating func lossBurst(rate: Double, until: Int64) {
        burst = (rate, until)
    }

    /// Ends every fault and switches to `configuration` (the heal phase).
    public mutating func heal(to configuration: SimNetworkConfiguration) {
        blocked.removeAll()
        cloggedUntil.removeAll()
        burst = nil
        self.configuration = configuration
    }

    /// Whether any partition is in force.
    public var isPartitioned: Bool { !blocked.isEmpty }
}
