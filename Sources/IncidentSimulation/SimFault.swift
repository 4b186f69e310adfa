import IncidentCore

/// One fault the simulator injects.
public enum SimFault: Sendable, Equatable, CustomStringConvertible {
    /// kill -9 of a node; it restarts after `downMillis` (or at heal, whichever is first).
    case crash(node: Int, downMillis: Int64)
    /// kill -9 and loss of the data directory; the node restarts empty after `downMillis`.
    case wipe(node: Int, downMillis: Int64)
    /// The nodes in `side` and the others cannot talk, both ways, for `millis`.
    case partition(side: [Int], millis: Int64)
    /// Packets from `from` to `to` are dropped (the other way works) for `millis`.
    case oneWay(from: [Int], to: [Int], millis: Int64)
    /// Every packet is lost with probability `rate` for `millis`.
    case lossBurst(rate: Double, millis: Int64)
    /// Packets on the link are held for `millis`, then arrive together.
    case clog(from: Int, to: Int, millis: Int64)
    /// A node's wall clock steps by `millis` (negative: backwards).
    case clockJump(node: Int, millis: Int64)

    /// How long the fault lasts (0 for instantaneous ones).
    public var duration: Int64 {
        switch self {
        case .crash(_, let d), .wipe(_, let d): d
        case .partition(_, let d), .oneWay(_, _, let d), .lossBurst(_, let d), .clog(_, _, let d): d
        case .clockJump: 0
        }
    }

    public var description: String {
        switch self {
        case .crash(let n, let d): "crash node\(n) for \(d) ms"
        case .wipe(let n, let d): "wipe node\(n) (down \(d) ms)"
        case .partition(let side, let d): "partition \(side) | rest for \(d) ms"
        case .oneWay(let from, let to, let d): "one-way partition \(from) → \(to) for \(d) ms"
        case .lossBurst(let rate, let d): "loss burst \(Int(rate * 100))% for \(d) ms"
        case .clog(let a, let b, let d): "clog \(a)→\(b) for \(d) ms"
        case .clockJump(let n, let ms): "clock of node\(n) jumps \(ms > 0 ? "+" : "")\(ms) ms"
        }
    }
}

/// A fault and when it starts (virtual milliseconds).
public struct SimScheduledFault: Sendable, Equatable, CustomStringConvertible {
    /// Start time.
    public var at: Int64
    /// The fault.
    public var fault: SimFault

    /// Creates a scheduled fault.
    public init(at: Int64, _ fault: SimFault) {
        self.at = at
        self.fault = fault
    }

    public var description: String { "t=\(at)ms \(fault)" }
}

/// Which faults a run injects.
public enum SimFaultPlan: Sendable, Equatable {
    /// None.
    case none
    /// `count` random faults drawn from the seed, during the workload (at most one wipe, so
    /// that promise 4 — survive the loss of any *single* node — is what is checked).
    case random(count: ClosedRange<Int>)
    /// Exactly these.
    case explicit([SimScheduledFault])

    /// The schedule for a run.
    func schedule(nodes: Int, workloadMillis: Int64, random: inout SeededRandom) -> [SimScheduledFault] {
        switch self {
        case .none: return []
        case .explicit(let list): return list.sorted { $0.at < $1.at }
        case .random(let range):
            let count = Int(random.int(in: Int64(range.lowerBound)...Int64(range.upperBound)))
            var out: [SimScheduledFault] = []
            var wiped = false
            for _ in 0..<count {
                let at = random.int(in: 0...max(1, workloadMillis))
                out.append(SimScheduledFault(at: at, Self.randomFault(nodes: nodes, wiped: &wiped, random: &random)))
            }
            return out.sorted { $0.at < $1.at }
        }
    }

    private static func randomFault(nodes: Int, wiped: inout Bool, random: inout SeededRandom) -> SimFault {
        let node = random.index(nodes)
        switch random.index(9) {
        case 0, 1:
            return .crash(node: node, downMillis: random.int(in: 200...5000))
        case 2 where !wiped:
            wiped = true
            return .wipe(node: node, downMillis: random.int(in: 200...4000))
        case 2, 3:
            return .partition(side: randomSide(nodes: nodes, random: &random), millis: random.int(in: 300...6000))
        case 4:
            let side = randomSide(nodes: nodes, random: &random)
            let rest = (0..<nodes).filter { !side.contains($0) }
            return random.chance(0.5)
                ? .oneWay(from: side, to: rest, millis: random.int(in: 300...5000))
                : .oneWay(from: rest, to: side, millis: random.int(in: 300...5000))
        case 5:
            return .lossBurst(rate: Double(random.int(in: 10...50)) / 100, millis: random.int(in: 300...3000))
        case 6:
            var other = random.index(nodes - 1)
            if other >= node { other += 1 }
            return .clog(from: node, to: other, millis: random.int(in: 100...2500))
        default:
            let ms = random.int(in: 1000...15000)
            return .clockJump(node: node, millis: random.chance(0.5) ? ms : -ms)
        }
    }

    /// A proper, non-empty subset of the nodes (one side of a partition).
    private static func randomSide(nodes: Int, random: inout SeededRandom) -> [Int] {
        let size = Int(random.int(in: 1...Int64(max(1, nodes / 2))))
        var all = Array(0..<nodes)
        all.shuffle(using: &random)
        return all.prefix(size).sorted()
    }
}
