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

    /// A single node is its own cluster: one alive member.
    func clusterJSON() -> JSONObject {
        [
            "members": .array([
                .object([
                    "node_id": .string(node.name), "region": .string(region), "gossip": .string(gossip.description),
                    "state": .string("alive"), "incarnation": .int(0), "self": .bool(true),
                ])
            ]),
            "write_quorum": .int(Int64(writeQuorum)),
        ]
    }
}

/// Node-level operations the dispatcher needs from the runtime.
protocol NodeOperations: Sendable {
    /// Seconds since start.
    func uptimeSeconds() -> Double
    /// Delivers a status update to channels; returns one outcome per channel.
    func deliver(message: String, channels: [String], incident: IncidentID) -> [Delivery]
    /// Takes a snapshot now; returns its LSN and size.
    func snapshot() async throws -> (UInt64, Int)
}
