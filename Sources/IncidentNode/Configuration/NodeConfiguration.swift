import IncidentCluster
import IncidentCore
import IncidentStorage
import PosixIO

/// Everything a node is configured with: identity, addresses, limits and the incident policy.
///
/// Built from defaults, then a `--config` JSON file, then flags (flags win), then `validate()` runs
/// once at start-up. See Docs/configuration.md for every field.
public struct NodeConfiguration: Sendable, Equatable {
    /// This node's id.
    public var nodeID = NodeID("node1")
    /// Where the log and snapshots live; defaults to `./aether-data/<node-id>`.
    public var dataDir: String?
    /// Admin protocol address.
    public var admin = SocketAddress(host: "127.0.0.1", port: 7400)
    /// HTTP address.
    public var http = SocketAddress(host: "127.0.0.1", port: 7480)
    /// Gossip address.
    public var gossip = SocketAddress(host: "127.0.0.1", port: 7946)
    /// Seed peers' gossip addresses.
    public var peers: [SocketAddress] = []
    /// Region name.
    public var region = "local"
    /// Nodes that must hold a write durably before it is acknowledged; default 2 with peers, else 1.
    public var writeQuorum: Int?
    /// File holding the cluster key.
    public var clusterKeyFile: String?
    /// File holding admin tokens (`token role [name]` per line).
    public var adminTokenFile: String?
    /// Log level.
    public var logLevel = Logger.Level.info
    /// Durable log settings.
    public var wal = WALConfiguration()
    /// Admin protocol limits.
    public var adminLimits = AdminLimits()
    /// Incident rules.
    public var policy = IncidentPolicy()
    /// Take a snapshot after this many records since the last one.
    public var snapshotEveryRecords = 500_000
    /// A SEV-0/1 incident this long without a status update reminds its communications lead.
    public var statusUpdateReminder: Duration = .seconds(15 * 60)
    /// Template override files by template name (`status_update`, …).
    public var templateFiles: [String: String] = [:]
    /// Notification channels by name (`log` is built in).
    public var channels: [String: ChannelConfiguration] = [:]
    /// An escalation step not in the log this long after it was due raises an `escalation_overdue`
    /// alert (the watchdog). Longer than failure detection, so a failover is not an alarm.
    public var escalationOverdueAfter: Duration = .seconds(30)
    /// After start, escalation steps wait this long before firing: a restarted node catches up
    /// from its peers first (pushes and an anti-entropy round), so it never pages from stale state.
    public var escalationWarmup: Duration = .seconds(3)
    /// Closed incidents are passivated (actor released) after this long without a change.
    public var passivateClosedAfter: Duration = .seconds(60)
    /// Whether `cluster.faults` may inject partitions, latency and loss (tests and demos only).
    public var faultInjection = false
    /// Replication and anti-entropy settings.
    public var replication = ReplicationConfiguration()
    /// Membership timing (SWIM): LAN by default; `membership_profile: "wan"` for peers in other regions.
    public var membership = MembershipConfiguration.lan

    /// The defaults of SPEC §2.
    public init() {}

    /// The data directory in effect.
    public var effectiveDataDir: String { dataDir ?? "./aether-data/\(nodeID.name)" }

    /// The write quorum in effect.
    public var effectiveWriteQuorum: Int { writeQuorum ?? (peers.isEmpty ? 1 : 2) }

    /// Checks the configuration.
    /// - Throws: `ConfigurationError` with one clear line naming the bad value.
    public func validate() throws(ConfigurationError) {
        let q = effectiveWriteQuorum
        guard (1...16).contains(q) else {
            throw ConfigurationError("--write-quorum \(q) is not valid; expected 1 to 16 nodes")
        }
        if peers.contains(gossip) {
            throw ConfigurationError("--peers lists this node's own gossip address \(gossip); list the other nodes")
        }
        guard !region.isEmpty, NodeID.isValid(region) else {
            throw ConfigurationError("--region '\(region)' is not valid; expected letters, digits, '.', '_' or '-'")
        }
        if !gossip.isLoopback, clusterKeyFile == nil {
            throw ConfigurationError(
                "--gossip \(gossip) binds a non-loopback address; --cluster-key-file is required to authenticate gossip")
        }
        for (flag, address) in [("--admin", admin), ("--http", http)] where !address.isLoopback && adminTokenFile == nil {
            throw ConfigurationError(
                "\(flag) \(address) binds a non-loopback address; --admin-token-file is required so only token holders get in")
        }
        guard adminLimits.lineBytesMax >= 1024 else {
            throw ConfigurationError("admin line limit \(adminLimits.lineBytesMax) is too small; expected at least 1024 bytes")
        }
        guard wal.segmentBytesMax >= 4096 else {
            throw ConfigurationError("wal segment size \(wal.segmentBytesMax) is too small; expected at least 4096 bytes")
        }
        guard snapshotEveryRecords >= 1000 else {
            throw ConfigurationError("snapshot interval \(snapshotEveryRecords) records is too small; expected at least 1000")
        }
        do { try policy.validate() } catch { throw ConfigurationError(error.message) }
    }
}

/// Limits of the admin protocol server.
public struct AdminLimits: Sendable, Equatable {
    /// Longest request line (SPEC §4 default 1 MiB).
    public var lineBytesMax = 1 << 20
    /// A partial line older than this is answered `bad_request` and the connection closed.
    public var partialLineTimeout: Duration = .seconds(10)
    /// Most concurrent connections.
    public var connectionsMax = 10_000
    /// Most alerts in one `alert.ingest_batch`.
    public var batchAlertsMax = 10_000
    /// Most incidents one `incident.list` returns.
    public var listLimitMax = 10_000

    /// The defaults.
    public init() {}
}

/// A configuration problem, as one line for stderr (exit code 2).
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    /// The message.
    public var message: String

    /// Creates an error.
    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// A notification channel: a webhook, or email through an SMTP relay.
public struct ChannelConfiguration: Sendable, Equatable {
    /// The body shape of a webhook.
    public enum Format: String, Sendable {
        /// `{"kind", "incident_id", "text", "key", …}`.
        case json
        /// `{"text": "…"}` (Slack incoming webhooks and compatibles).
        case slack
    }

    /// How messages travel.
    public enum Kind: Sendable, Equatable {
        /// POST to `url` (`http://host:port/path`).
        case webhook(url: String, format: Format)
        /// Email through the relay; `to` gets status updates (pages go to the person's address).
        case smtp(relay: SocketAddress, from: String, to: [String])
    }

    /// How messages travel.
    public var kind: Kind
    /// Most messages per minute (after a burst of 10); more wait their turn, none is dropped.
    public var ratePerMinute: Int

    /// A webhook channel.
    public init(url: String, format: Format, ratePerMinute: Int = 1200) {
        kind = .webhook(url: url, format: format)
        self.ratePerMinute = ratePerMinute
    }

    /// An email channel.
    public init(relay: SocketAddress, from: String, to: [String], ratePerMinute: Int = 1200) {
        kind = .smtp(relay: relay, from: from, to: to)
        self.ratePerMinute = ratePerMinute
    }
}
