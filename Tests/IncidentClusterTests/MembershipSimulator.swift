import IncidentCore
import IncidentSimulation
import Testing

@testable import IncidentCluster

#if canImport(Glibc)
    import Glibc
#endif

/// A deterministic, single-threaded simulation of N membership instances: a virtual clock that
/// advances in 10 ms steps, and a mailbox with per-link delay, loss, partitions and crashed nodes.
/// Every message goes through the binary codec on the way, as it would on the wire.
///
/// Each step delivers every message due by then (in send order), then ticks every running node.
struct MembershipSimulator {
    /// One simulated process.
    struct Node {
        var instance: MembershipInstance
        var address: String
        var region: String
        var running = true
    }

    /// A message in flight.
    struct InFlight {
        var deliverAt: Int64
        var order: UInt64
        var from: Int
        var to: Int
        var bytes: [UInt8]
    }

    /// A member change seen by one node.
    struct Change {
        var at: Timestamp
        var observer: Int
        var member: Member
        var previous: MemberState?
    }

    static let step: Duration = .milliseconds(10)
    static let start = Timestamp(unixMillis: 1_800_000_000_000)

    var nodes: [Node] = []
    var now = MembershipSimulator.start
    var random: SeededRandom
    let configuration: MembershipConfiguration
    /// Messages in flight, a binary min-heap on (deliverAt, order).
    var heap: [InFlight] = []
    var sentCount: UInt64 = 0
    /// Probability that any one message is lost.
    var lossRate = 0.0
    /// One-way delay between two nodes, in ms (before jitter).
    var linkDelayMs: (Int, Int) -> Int64 = { _, _ in 1 }
    /// Extra delay on every message sent by a node, in ms.
    var outboundDelayMs: [Int: Int64] = [:]
    /// Extra delay on every message delivered to a node, in ms.
    var inboundDelayMs: [Int: Int64] = [:]
    /// Extra delay each way on the link between two nodes, keyed by `linkKey`, in ms.
    var slowLinksMs: [Int: Int64] = [:]
    /// Partition group of each node; messages between different groups are dropped.
    var group: [Int: Int] = [:]
    /// How often each node's shell calls `onTick` (a multiple of `step`); each node gets a random
    /// phase. The default ticks every step.
    var tickInterval: Duration = MembershipSimulator.step
    var tickPhaseMs: [Int64] = []
    /// Every member change, in order.
    var changes: [Change] = []

    init(seed: UInt64, configuration: MembershipConfiguration = .lan) {
        random = SeededRandom(seed: seed)
        self.configuration = configuration
    }

    // MARK: - Nodes

    static func address(_ i: Int) -> String { "10.0.0.\(i + 1):7946" }
    static func nodeID(_ i: Int) -> NodeID { NodeID("node\(i)") }

    /// Adds a node (not yet joined).
    @discardableResult
    mutating func addNode(region: String = "local", incarnation: UInt64 = 1) -> Int {
        let i = nodes.count
        let me = Member(node: Self.nodeID(i), address: Self.address(i), region: region, incarnation: incarnation)
        nodes.append(
            Node(
                instance: MembershipInstance(myself: me, configuration: configuration, seed: random.next()),
                address: me.address, region: region))
        return i
    }

    /// Node `i` joins through the given seed nodes.
    mutating func join(_ i: Int, seeds: [Int]) {
        let directives = nodes[i].instance.join(seeds: seeds.map { Self.address($0) }, now: now)
        carry(directives, from: i)
    }

    /// Node `i` stops: it neither sends nor receives any more (kill -9).
    mutating func crash(_ i: Int) { nodes[i].running = false }

    /// Node `i` comes back as a new process with the same id and address, a higher start
    /// incarnation, and joins through `seeds`.
    mutating func restart(_ i: Int, incarnation: UInt64, seeds: [Int]) {
        let me = Member(
            node: Self.nodeID(i), address: nodes[i].address, region: nodes[i].region, incarnation: incarnation)
        nodes[i].instance = MembershipInstance(myself: me, configuration: configuration, seed: random.next())
        nodes[i].running = true
        join(i, seeds: seeds)
    }

    /// Node `i` leaves gracefully and stops.
    mutating func leave(_ i: Int) {
        let directives = nodes[i].instance.leave(now: now)
        carry(directives, from: i)
        nodes[i].running = false
    }

    // MARK: - Running

    /// Advances one step: deliver what is due, then tick every running node.
    mutating func step() {
        now = now + Self.step
        while let first = heap.first, first.deliverAt <= now.unixMillis {
            let message = popMin()
            deliver(message)
        }
        let tickMs = tickInterval.wholeMilliseconds
        while tickPhaseMs.count < nodes.count {
            tickPhaseMs.append(tickMs <= 10 ? 0 : Int64(random.next() % UInt64(tickMs / 10)) * 10)
        }
        let elapsedMs = (now - Self.start).wholeMilliseconds
        for i in nodes.indices where nodes[i].running && (elapsedMs - tickPhaseMs[i]) % tickMs == 0 {
            let directives = nodes[i].instance.onTick(now: now)
            carry(directives, from: i)
        }
    }

    /// Runs for a virtual duration.
    mutating func run(for duration: Duration) {
        let end = now + duration
        while now < end { step() }
    }

    /// Runs until `done` holds (checked every step) or `limit` passes; returns the time taken.
    @discardableResult
    mutating func run(until done: (MembershipSimulator) -> Bool, limit: Duration) -> Duration? {
        let began = now
        let end = now + limit
        while now < end {
            if done(self) { return now - began }
            step()
        }
        return done(self) ? now - began : nil
    }

    /// Whether every running node sees exactly the running nodes as alive (and nothing else active).
    func converged() -> Bool {
        let running = nodes.indices.filter { nodes[$0].running }
        let expected = running.map { Self.nodeID($0) }
        for i in running {
            let active = nodes[i].instance.members.filter { $0.state.isActive }
            guard active.count == expected.count,
                active.allSatisfy({ $0.state == .alive && expected.contains($0.node) })
            else { return false }
        }
        return true
    }

    /// `converged()`, and every running node holds every running node at its own incarnation.
    func agreed() -> Bool {
        guard converged() else { return false }
        let running = nodes.indices.filter { nodes[$0].running }
        return running.allSatisfy { subject in
            let own = nodes[subject].instance.myself.incarnation
            return running.allSatisfy { nodes[$0].instance.member(Self.nodeID(subject))?.incarnation == own }
        }
    }

    /// The key of the link between two nodes in `slowLinksMs` (order does not matter).
    static func linkKey(_ a: Int, _ b: Int) -> Int { min(a, b) * 1000 + max(a, b) }

    /// The state node `observer` holds about node `subject`.
    func state(of subject: Int, at observer: Int) -> MemberState? {
        nodes[observer].instance.member(Self.nodeID(subject))?.state
    }

    // MARK: - Mailbox

    mutating func carry(_ directives: [MembershipInstance.Directive], from i: Int) {
        for directive in directives {
            switch directive {
            case .send(let message, let address):
                send(message, from: i, to: address)
            case .memberChanged(let member, let previous):
                changes.append(Change(at: now, observer: i, member: member, previous: previous))
            }
        }
    }

    mutating func send(_ message: MembershipMessage, from i: Int, to address: String) {
        guard nodes[i].running, let j = nodes.firstIndex(where: { $0.address == address }) else { return }
        if group[i, default: 0] != group[j, default: 0] { return }
        if lossRate > 0, Double(random.next() >> 11) / Double(1 << 53) < lossRate { return }
        let jitter = Int64(random.next() % 3)
        let delay =
            linkDelayMs(i, j) + jitter + outboundDelayMs[i, default: 0] + inboundDelayMs[j, default: 0]
            + slowLinksMs[Self.linkKey(i, j), default: 0]
        sentCount += 1
        push(
            InFlight(
                deliverAt: now.unixMillis + max(1, delay), order: sentCount, from: i, to: j, bytes: message.encoded))
    }

    mutating func deliver(_ m: InFlight) {
        guard nodes[m.to].running else { return }  // sent before a crash still arrives
        let message: MembershipMessage
        do {
            message = try MembershipMessage(decoding: m.bytes)
        } catch {
            preconditionFailure("simulated message did not decode: \(error)")
        }
        let directives = nodes[m.to].instance.onMessage(message, from: nodes[m.from].address, now: now)
        carry(directives, from: m.to)
    }

    mutating func push(_ m: InFlight) {
        heap.append(m)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.less(heap[child], heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    mutating func popMin() -> InFlight {
        let top = heap[0]
        let last = heap.removeLast()
        guard !heap.isEmpty else { return top }
        heap[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < heap.count, Self.less(heap[left], heap[smallest]) { smallest = left }
            if right < heap.count, Self.less(heap[right], heap[smallest]) { smallest = right }
            if smallest == parent { break }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
        return top
    }

    static func less(_ a: InFlight, _ b: InFlight) -> Bool {
        (a.deliverAt, a.order) < (b.deliverAt, b.order)
    }
}

/// Percentile of sorted-able durations in seconds (nearest rank).
func percentile(_ values: [Double], _ p: Double) -> Double {
    guard !values.isEmpty else { return .nan }
    let sorted = values.sorted()
    let rank = Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1
    return sorted[min(max(rank, 0), sorted.count - 1)]
}

/// Reads an integer from the environment (SIM_SEED, SIM_RUNS) without Foundation.
func environmentInteger(_ name: String) -> UInt64? {
    guard let raw = getenv(name) else { return nil }
    return UInt64(String(cString: raw))
}

extension Tag {
    /// Seeded simulations of several instances.
    @Tag static var simulation: Self
}
