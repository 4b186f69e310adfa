import AetherJSON
import IncidentCore
import PosixIO

/// Identity and addresses of this node, as `node.info` and `cluster.status` report them.
struct NodeInfo: Sendable {
    static let version = "0.1.0"

    let node: NodeID
    let region: String
    let admin: SocketAddress
    let http: SocketAddress
    let gossip: SocketAddress
    let writeQuorum: Int

    func json(uptime: Double) -> JSONObject {
        [
            "node_id": .string(node.name), "region": .string(region), "version": .string(Self.version),
            "uptime_s": .double((uptime * 10).rounded() / 10),
            "addresses": .object(["admin": .string(admin.description), "http": .string(http.description), "gossip": .string(gossip.description)]),
        ]
    }

    /// Members (this node first), replication lag per peer, authentication and fault counters.
    func clusterJSON(_ cluster: ClusterShell) -> JSONObject {
        var members: [JSONValue] = [
            .object([
                "node_id": .string(node.name), "region": .string(region), "gossip": .string(cluster.gossipAddress.description),
                "state": .string("alive"), "incarnation": .int(Int64(cluster.membership.myself.incarnation)), "self": .bool(true),
            ])
        ]
        let (peers, stats) = cluster.replication.status()
        var lag: [NodeID: (UInt64, Int)] = [:]
        for p in peers { lag[p.0] = (p.lag, p.inflightEvents) }
        for m in cluster.members() where m.node != node {
            var o: JSONObject = [
                "node_id": .string(m.node.name), "region": .string(m.region), "gossip": .string(m.address),
                "state": .string(m.state), "incarnation": .int(Int64(m.incarnation)), "self": .bool(false),
            ]
            o["replication_lag_events"] = .int(Int64(lag[m.node]?.0 ?? 0))
            o["unacknowledged_events"] = .int(Int64(lag[m.node]?.1 ?? 0))
            members.append(.object(o))
        }
        var rejected = JSONObject()
        for (k, v) in cluster.transport.rejectedFrames.sorted(by: { $0.key < $1.key }) { rejected[k] = .int(Int64(v)) }
        let f = cluster.faults.stats
        return [
            "members": .array(members), "write_quorum": .int(Int64(writeQuorum)),
            "frames_rejected": .object(rejected),
            "replication": .object([
                "pushed_events": .int(Int64(stats.pushedEvents)), "received_events": .int(Int64(stats.receivedEvents)),
                "records_sent": .int(Int64(stats.recordsSent)), "records_merged": .int(Int64(stats.recordsMerged)),
                "anti_entropy_rounds": .int(Int64(stats.antiEntropyRounds)), "anti_entropy_bytes": .int(Int64(stats.antiEntropyBytes)),
                "anti_entropy_summaries": .int(Int64(stats.antiEntropySummaries)),
            ]),
            "faults": .object([
                "enabled": .bool(cluster.faults.enabled), "dropped_frames": .int(Int64(f.dropped)), "delayed_frames": .int(Int64(f.delayed)),
            ]),
        ]
    }
}

/// Node-level operations the dispatcher needs from the runtime.
protocol NodeOperations: Sendable {
    /// Seconds since start.
    func uptimeSeconds() -> Double
    /// Delivers a status update to channels; returns one outcome per channel.
    func deliver(message: String, channels: [String], record: IncidentRecord) async -> [Delivery]
    /// Sends a one-off announcement (e.g. a war room's link) to channels.
    func announce(_ text: String, kind: String, channels: [String], incident: IncidentID) async -> [Delivery]
    /// Takes a snapshot now; returns its LSN and size.
    func snapshot() async throws -> (UInt64, Int)
}
