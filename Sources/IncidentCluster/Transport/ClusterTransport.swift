import IncidentCore
import PosixIO
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Settings of the gossip transport.
public struct TransportConfiguration: Sendable {
    /// This node.
    public var node: NodeID
    /// This node's region.
    public var region: String
    /// Where to listen.
    public var listen: SocketAddress
    /// The address peers should dial (the bound listen address by default).
    public var advertise: String?
    /// The cluster key (HMAC-SHA256), nil for unauthenticated loopback clusters.
    public var key: [UInt8]?
    /// Per-connection send queue bound.
    public var queueBytesMax = 64 << 20
    /// Connect timeout.
    public var connectTimeout: Duration = .milliseconds(500)

    /// Creates a configuration.
    public init(node: NodeID, region: String, listen: SocketAddress) {
        self.node = node
        self.region = region
        self.listen = listen
    }
}

/// TCP connections between nodes: listens on the gossip address, dials peers on demand, routes
/// messages to a node id or an address, and hands every received message to `handler` (called on
/// connection reader threads; it must not block).
public final class ClusterTransport: @unchecked Sendable {
    // @unchecked: mutable state is in `registry` (a Mutex); the rest is immutable after init.

    struct Registry {
        var connections: [UInt64: PeerConnection] = [:]
        var byAddress: [String: UInt64] = [:]
        var byNode: [NodeID: UInt64] = [:]
        var nodeAddress: [NodeID: String] = [:]
        var nodeRegion: [NodeID: String] = [:]
        var dialing: [String: [ClusterMessage]] = [:]
        var lastDial: [String: UInt64] = [:]
        var nextID: UInt64 = 1
        var stopped = false
        var rejected: [String: UInt64] = [:]
    }

    /// The configuration.
    public let configuration: TransportConfiguration
    /// The bound listen address.
    public let address: SocketAddress
    /// Injected faults.
    public let faults: FaultTable
    private let listenFD: Int32
    private let codec: FrameCodec
    private let registry = Mutex(Registry())
    private let handler: @Sendable (ClusterMessage, PeerConnection) -> Void
    private let nonceSeed: UInt64

    /// Binds the listen address.
    /// - Throws: `SystemError` when the address cannot be bound.
    public init(
        configuration: TransportConfiguration, faults: FaultTable, nonceSeed: UInt64,
        handler: @escaping @Sendable (ClusterMessage, PeerConnection) -> Void
    ) throws(SystemError) {
        self.configuration = configuration
        self.faults = faults
        self.handler = handler
        self.nonceSeed = nonceSeed
        codec = FrameCodec(key: configuration.key.map { HMACSHA256(key: $0) })
        (listenFD, address) = try Socket.listen(configuration.listen)
    }

    /// The address peers dial.
    public var advertisedAddress: String { configuration.advertise ?? address.description }

    /// Starts accepting connections.
    public func start() {
        startThread(name: "gossip-accept") { self.acceptLoop() }
    }

    /// Closes everything.
    public func stop() {
        let all: [PeerConnection] = registry.withLock { r in
            r.stopped = true
            return Array(r.connections.values)
        }
        for c in all { c.close() }
    }

    /// Sends to a node over any open connection with it, dialling its last known address if
    /// needed. Returns false when the message could not even be queued.
    @discardableResult
    public func send(_ message: ClusterMessage, to node: NodeID) -> Bool {
        let (conn, address): (PeerConnection?, String?) = registry.withLock { r in
            if let id = r.byNode[node], let c = r.connections[id], !c.isClosed { return (c, nil) }
            return (nil, r.nodeAddress[node])
        }
        if let conn { return conn.send(message) }
        if let address { return send(message, toAddress: address) }
        return false
    }

    /// Sends to an address (dialling it if there is no connection yet).
    @discardableResult
    public func send(_ message: ClusterMessage, toAddress target: String) -> Bool {
        enum Plan { case conn(PeerConnection), dial, queued, refused }
        let now = monotonicNanos()
        let plan: Plan = registry.withLock { r in
            if r.stopped { return .refused }
            if let id = r.byAddress[target], let c = r.connections[id], !c.isClosed { return .conn(c) }
            if r.dialing[target] != nil {
                if r.dialing[target]!.count >= 1024 { return .refused }
                r.dialing[target]!.append(message)
                return .queued
            }
            if let last = r.lastDial[target], now - last < 200_000_000 { return .refused }  // back off re-dials
            r.dialing[target] = [message]
            r.lastDial[target] = now
            return .dial
        }
        switch plan {
        case .conn(let c): return c.send(message)
        case .queued: return true
        case .refused: return false
        case .dial:
            startThread(name: "gossip-dial") { self.dial(target) }
            return true
        }
    }

    /// Records the gossip address of a node (learned from membership).
    public func learn(node: NodeID, address: String) {
        registry.withLock { $0.nodeAddress[node] = address }
    }

    /// The gossip address a node announced (or was learned under).
    public func address(of node: NodeID) -> String? {
        registry.withLock { $0.nodeAddress[node] }
    }

    /// The region a node announced.
    public func region(of node: NodeID) -> String? {
        registry.withLock { $0.nodeRegion[node] }
    }

    /// Nodes with an open, greeted connection.
    public var connectedNodes: [NodeID] {
        registry.withLock { r in r.byNode.compactMap { entry in r.connections[entry.value].map { _ in entry.key } } }
    }

    /// Frames rejected so far, by reason kind (`unauthenticated`, `malformed`, `undecodable`), and
    /// messages dropped because a peer's send queue was full (`queue_full`, open connections only).
    public var rejectedFrames: [String: UInt64] {
        registry.withLock { r in
            var out = r.rejected
            let drops = r.connections.values.reduce(UInt64(0)) { $0 + $1.queueDrops }
            if drops > 0 { out["queue_full"] = drops }
            return out
        }
    }

    // MARK: - Internals

    private func dial(_ target: String) {
        var queued: [ClusterMessage] = []
        guard let addr = try? SocketAddress(parsing: target),
            let fd = try? Socket.connect(addr, timeoutMillis: Int32(configuration.connectTimeout.wholeMilliseconds))
        else {
            registry.withLock { _ = $0.dialing.removeValue(forKey: target) }
            return
        }
        let conn = makeConnection(fd: fd, outbound: true, address: target)
        registry.withLock { r in
            queued = r.dialing.removeValue(forKey: target) ?? []
            r.byAddress[target] = conn.id
        }
        for m in queued { conn.send(m) }
        conn.start()
    }

    private func acceptLoop() {
        while !registry.withLock({ $0.stopped }) {
            var p = pollfd(fd: listenFD, events: Int16(POLLIN), revents: 0)
            if poll(&p, 1, 250) <= 0 { continue }
            var peer = sockaddr_in()
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            let fd = withUnsafeMutablePointer(to: &peer) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { accept(listenFD, $0, &len) }
            }
            if fd < 0 { continue }
            let flags = fcntl(fd, F_GETFL)
            _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK)
            Socket.setNoDelay(fd)
            makeConnection(fd: fd, outbound: false, address: "inbound").start()
        }
        Socket.close(listenFD)
    }

    private func makeConnection(fd: Int32, outbound: Bool, address: String) -> PeerConnection {
        let id = registry.withLock { r in
            defer { r.nextID += 1 }
            return r.nextID
        }
        let nonce = EventDigestMix.mix(nonceSeed ^ id &* 0x9E37_79B9_7F4A_7C15) | 1
        let hello = ClusterMessage.Hello(
            node: configuration.node, region: configuration.region, gossip: advertisedAddress, nonce: nonce)
        let conn = PeerConnection(
            id: id, fd: fd, outbound: outbound, address: address, codec: codec, faults: faults, hello: hello,
            queueBytesMax: configuration.queueBytesMax,
            onMessage: { [weak self] c, m in self?.received(m, on: c) },
            onReject: { [weak self] _, rejection in
                let kind: String
                switch rejection {
                case .malformed: kind = "malformed"
                case .unauthenticated: kind = "unauthenticated"
                case .undecodable: kind = "undecodable"
                }
                self?.registry.withLock { $0.rejected[kind, default: 0] += 1 }
            },
            onClose: { [weak self] c in self?.closed(c) })
        registry.withLock { $0.connections[id] = conn }
        return conn
    }

    private func received(_ m: ClusterMessage, on c: PeerConnection) {
        if case .hello(let h) = m {
            registry.withLock { r in
                r.nodeAddress[h.node] = h.gossip
                r.nodeRegion[h.node] = h.region
                // Prefer an outbound connection for a node; take an inbound one if that is all there is.
                if let existing = r.byNode[h.node], let e = r.connections[existing], !e.isClosed, e.outbound || !c.outbound {
                    return
                }
                r.byNode[h.node] = c.id
            }
        }
        handler(m, c)
    }

    private func closed(_ c: PeerConnection) {
        registry.withLock { r in
            r.connections[c.id] = nil
            if r.byAddress[c.address] == c.id { r.byAddress[c.address] = nil }
            for (node, id) in r.byNode where id == c.id {
                r.byNode[node] = nil
                // Fall back to another open connection with the same node, if any.
                if let other = r.connections.values.first(where: { $0.peer?.node == node && !$0.isClosed }) {
                    r.byNode[node] = other.id
                }
            }
        }
    }
}

/// Re-export of the digest mixer for nonces.
enum EventDigestMix {
    static func mix(_ x: UInt64) -> UInt64 { EventDigest.mix(x) }
}
