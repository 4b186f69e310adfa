import PosixIO

/// What `aether storm` sends: `total` alerts over `keys` dedup keys, `batch` alerts per request,
/// spread over `connections` pipelined connections (round-robin over `nodes`), optionally paced
/// to `rate` alerts per second.
public struct StormConfiguration: Sendable {
    /// Where the requests go.
    public enum Target: Sendable {
        /// Aether's admin protocol (`alert.ingest` / `alert.ingest_batch`).
        case aether
        /// Prometheus Alertmanager's `POST /api/v2/alerts` (the peer in benchmarks).
        case alertmanager
        /// Aether's PagerDuty Events v2 endpoint (`POST /v2/enqueue`), one event per request
        /// (`batch` must be 1), sent with this integration key.
        case pagerDuty(routingKey: String)
        /// Arbitrary admin requests: request `r` (0 ..< total) is written by the closure, one line
        /// each, `batch` must be 1 (benchmarks that drive incidents rather than alerts).
        case adminRequests(@Sendable (Int, inout [UInt8]) -> Void)
    }

    /// Nodes to spread connections over.
    public var nodes: [SocketAddress]
    /// Protocol.
    public var target = Target.aether
    /// Alerts to send.
    public var total = 100_000
    /// Distinct dedup keys (alert i uses key i mod keys).
    public var keys = 1000
    /// When not empty, alert i uses key number `keyNumbers[i mod count]` instead (a chosen set of
    /// keys, e.g. those one node owns).
    public var keyNumbers: [Int] = []
    /// Alerts per request; 1 uses `alert.ingest`, more `alert.ingest_batch`.
    public var batch = 1000
    /// Connections.
    public var connections = 4
    /// Requests in flight per connection.
    public var window = 8
    /// Alerts per second offered; 0 = as fast as the node answers.
    public var rate = 0
    /// Prefix of dedup keys, so separate runs do not collide.
    public var keyPrefix = "storm"
    /// Admin token.
    public var token: String?
    /// Driver threads (each polls its share of the connections).
    public var threads = 2

    /// Creates a configuration.
    public init(nodes: [SocketAddress]) {
        self.nodes = nodes
    }

    /// Checks the numbers.
    public func validate() throws(CLIError) {
        guard !nodes.isEmpty else { throw CLIError.usage("storm needs at least one node") }
        guard total >= 1 else { throw CLIError.usage("--total \(total) must be at least 1") }
        guard keys >= 1 else { throw CLIError.usage("--keys \(keys) must be at least 1") }
        guard (1...10_000).contains(batch) else { throw CLIError.usage("--batch \(batch) must be 1 to 10000") }
        guard (1...10_000).contains(connections) else { throw CLIError.usage("--connections \(connections) must be 1 to 10000") }
        guard (1...4096).contains(window) else { throw CLIError.usage("--window \(window) must be 1 to 4096") }
        guard rate >= 0 else { throw CLIError.usage("--rate \(rate) must be 0 (unpaced) or more") }
    }
}

/// What a storm measured.
public struct StormReport: Sendable {
    /// Alerts sent.
    public var sent = 0
    /// Alerts the node accepted.
    public var accepted = 0
    /// Requests answered with an error.
    public var failedRequests = 0
    /// First error message seen.
    public var firstError: String?
    /// Incidents the storm opened (`created: true`).
    public var incidentsCreated = 0
    /// Requests sent.
    public var requests = 0
    /// Seconds from first send to last reply.
    public var seconds = 0.0
    /// Request latencies in microseconds, sorted.
    public var latenciesMicros: [UInt32] = []

    /// Alerts accepted per second.
    public var alertsPerSecond: Double { seconds > 0 ? Double(accepted) / seconds : 0 }

    /// A latency percentile in milliseconds.
    public func percentileMillis(_ p: Double) -> Double {
        guard !latenciesMicros.isEmpty else { return 0 }
        let i = min(latenciesMicros.count - 1, Int((Double(latenciesMicros.count) * p).rounded(.up)) - 1)
        return Double(latenciesMicros[max(0, i)]) / 1000
    }

    /// The largest latency in milliseconds.
    public var maxMillis: Double { Double(latenciesMicros.last ?? 0) / 1000 }
}

extension StormConfiguration {
    /// The key number alert `i` uses (its dedup key is `<keyPrefix>-<number>`).
    func keyNumber(_ i: Int) -> Int {
        keyNumbers.isEmpty ? i % keys : keyNumbers[i % keyNumbers.count]
    }
}
