import Foundation
import IncidentCore
import PosixIO
import Synchronization
import Testing

@testable import IncidentCluster

/// Two real transports on loopback. A sender writes a message itself when the line is free and
/// leaves it to the writer thread otherwise (the socket buffer is full, or something is queued):
/// both paths share one sequence of numbered frames, so a mix-up shows as a rejected frame, and a
/// reordering or a loss as a gap in what arrives. (No cluster key: the sequence is checked without
/// one, and hashing megabytes in a debug build would hold the test pool's threads for seconds.)
@Suite("Gossip transport: direct and queued writes keep order")
struct TransportOrderTests {
    /// What the receiving side got: per sending thread, the sequence numbers in arrival order.
    final class Received: Sendable {
        let byThread = Mutex<[UInt8: [UInt32]]>([:])
        var total: Int { byThread.withLock { $0.values.reduce(0) { $0 + $1.count } } }

        func record(_ m: ClusterMessage) {
            guard case .membership(let bytes) = m, bytes.count >= 5 else { return }
            let n = UInt32(bytes[1]) | UInt32(bytes[2]) << 8 | UInt32(bytes[3]) << 16 | UInt32(bytes[4]) << 24
            byThread.withLock { $0[bytes[0], default: []].append(n) }
        }
    }

    static func transport(_ name: String, faultsEnabled: Bool, handler: @escaping @Sendable (ClusterMessage, PeerConnection) -> Void) throws
        -> ClusterTransport
    {
        let c = TransportConfiguration(
            node: try NodeID(validating: name), region: "local", listen: try SocketAddress(parsing: "127.0.0.1:0"))
        let t = try ClusterTransport(configuration: c, faults: FaultTable(enabled: faultsEnabled), nonceSeed: UInt64.random(in: 1...(1 << 60)), handler: handler)
        t.start()
        return t
    }

    /// A sender connected to a receiver that handles messages with `handler`: the sender's first
    /// message (which dials) has arrived once `arrived` says so. Stop both when done.
    static func connectedPair(
        faultsEnabled: Bool, arrived: @escaping () -> Bool, handler: @escaping @Sendable (ClusterMessage, PeerConnection) -> Void
    ) async throws -> (sender: ClusterTransport, receiver: ClusterTransport, receiverID: NodeID) {
        let b = try transport("receiver", faultsEnabled: faultsEnabled, handler: handler)
        let a = try transport("sender", faultsEnabled: faultsEnabled) { _, _ in }
        let bID = try NodeID(validating: "receiver")
        a.learn(node: bID, address: b.advertisedAddress)
        #expect(a.send(message(thread: 9, 0, size: 8), to: bID))
        await waitUntil(5) { arrived() && a.connectedNodes.contains(bID) }
        #expect(arrived(), "the first message did not arrive")
        return (a, b, bID)
    }

    /// A message from `thread` numbered `n`, padded to `size` bytes.
    static func message(thread: UInt8, _ n: UInt32, size: Int) -> ClusterMessage {
        var bytes = [UInt8](repeating: 0xAB, count: max(5, size))
        bytes[0] = thread
        for i in 0..<4 { bytes[1 + i] = UInt8(truncatingIfNeeded: n >> (8 * i)) }
        return .membership(bytes)
    }

    static func waitUntil(_ seconds: Double, _ done: () -> Bool) async {
        let deadline = Date().addingTimeInterval(seconds)
        while !done() && Date() < deadline { try? await Task.sleep(for: .milliseconds(5)) }
    }

    /// Four threads send at once; every 40th message is 300 KB, more than the socket buffer takes,
    /// so direct writes leave tails to the writer and later messages queue behind them.
    @Test(arguments: [false, true]) func concurrentSendersArriveCompleteInOrderWithNoRejectedFrame(faultsEnabled: Bool) async throws {
        let received = Received()
        let (a, b, bID) = try await Self.connectedPair(faultsEnabled: faultsEnabled, arrived: { received.total == 1 }) { m, _ in
            received.record(m)
        }
        defer {
            a.stop()
            b.stop()
        }

        let perThread = 500
        await withTaskGroup(of: Void.self) { group in
            for t in UInt8(0)..<4 {
                group.addTask {
                    for n in UInt32(0)..<UInt32(perThread) {
                        let size = n % 40 == 39 ? 300_000 : 16 + Int(n % 7) * 50
                        a.send(Self.message(thread: t, n, size: size), to: bID)
                        if n % 50 == 0 { await Task.yield() }
                    }
                }
            }
        }
        await Self.waitUntil(20) { received.total == 1 + 4 * perThread }
        let got = received.byThread.withLock { $0 }
        for t in UInt8(0)..<4 {
            let list = got[t] ?? []
            let firstWrong = zip(list, 0...).first { $0.0 != UInt32($0.1) }.map(\.1)
            #expect(list.count == perThread && firstWrong == nil, "thread \(t): \(list.count) of \(perThread) arrived; first out of place at \(firstWrong.map(String.init) ?? "none")")
        }
        #expect(a.rejectedFrames.isEmpty && b.rejectedFrames.isEmpty, "rejected: \(a.rejectedFrames) \(b.rejectedFrames)")
    }

    /// With a latency rule in force every message waits for the writer thread, which holds it
    /// back: none goes out early by the direct path.
    @Test func aLatencyRuleHoldsEveryMessage() async throws {
        let arrivals = Mutex<[UInt64]>([])
        let (a, b, bID) = try await Self.connectedPair(faultsEnabled: true, arrived: { arrivals.withLock { $0.count } == 1 }) { m, _ in
            if case .membership = m { arrivals.withLock { $0.append(monotonicNanos()) } }
        }
        defer {
            a.stop()
            b.stop()
        }
        var rule = FaultRule()
        rule.latency = .milliseconds(80)
        a.faults.set(rule, for: "receiver")
        let sent = monotonicNanos()
        for n in UInt32(1)...5 { a.send(Self.message(thread: 0, n, size: 8), to: bID) }
        await Self.waitUntil(5) { arrivals.withLock { $0.count } == 6 }
        let times = arrivals.withLock { $0 }
        #expect(times.count == 6)
        for t in times.dropFirst() { #expect(t - sent >= 75_000_000, "a message arrived \(Double(t - sent) / 1e6) ms after it was sent") }
    }
}
