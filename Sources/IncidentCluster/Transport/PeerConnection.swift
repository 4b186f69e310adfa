import IncidentCore
import PosixIO
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// One TCP connection to another node: a reader thread that cuts and checks frames, a writer
/// thread that sends queued messages (applying injected faults), a bounded send queue.
///
/// A message sent while nothing is queued or being written, and no fault rule is in force, is
/// written by the sender itself without blocking; the writer thread sends only what had to wait
/// (the rest of a full socket buffer, messages queued meanwhile). Waking the writer for every
/// message costs two thread switches per hop, which a single alert's acknowledgement pays several
/// times over in a cluster.
///
/// The first frame each way is `hello`; a side sends nothing else until the other's hello has
/// arrived (its nonce authenticates every later frame). When the queue is over `queueBytesMax`,
/// new messages are dropped and counted: replication has acknowledgements and anti-entropy, and
/// membership tolerates loss, so dropping beats growing without bound.
public final class PeerConnection: @unchecked Sendable {
    // @unchecked: `state` is guarded by `lock`; `fd`, `id` and the closures are immutable.

    /// Sequential connection id.
    public let id: UInt64
    /// Whether this side dialled.
    public let outbound: Bool
    /// The address dialled (outbound) or the remote socket address (inbound).
    public let address: String
    let fd: Int32
    let codec: FrameCodec
    let faults: FaultTable
    let myNonce: UInt64
    let queueBytesMax: Int

    struct State {
        var queue: [(bytes: ClusterMessage, queuedAt: UInt64)] = []
        var queuedBytes = 0
        var peerHello: ClusterMessage.Hello?
        var sendSequence: UInt64 = 1
        var closed = false
        /// Someone is writing (the writer thread, or a sender writing directly); the writer holds
        /// it from the start until its hello is out.
        var writing = true
        /// The unsent tail of a direct write; the writer sends it before anything queued.
        var pending: [UInt8] = []
        /// Threads and direct senders using `fd`; the last one out closes it.
        var liveThreads = 2
        var queueDrops: UInt64 = 0
    }

    private let lock = ConditionLock()
    private nonisolated(unsafe) var state = State()
    private let onMessage: @Sendable (PeerConnection, ClusterMessage) -> Void
    private let onClose: @Sendable (PeerConnection) -> Void
    private let onReject: @Sendable (PeerConnection, FrameCodec.Rejection) -> Void
    private let myHello: ClusterMessage.Hello

    init(
        id: UInt64, fd: Int32, outbound: Bool, address: String, codec: FrameCodec, faults: FaultTable, hello: ClusterMessage.Hello,
        queueBytesMax: Int,
        onMessage: @escaping @Sendable (PeerConnection, ClusterMessage) -> Void,
        onReject: @escaping @Sendable (PeerConnection, FrameCodec.Rejection) -> Void,
        onClose: @escaping @Sendable (PeerConnection) -> Void
    ) {
        self.id = id
        self.fd = fd
        self.outbound = outbound
        self.address = address
        self.codec = codec
        self.faults = faults
        self.myNonce = hello.nonce
        self.myHello = hello
        self.queueBytesMax = queueBytesMax
        self.onMessage = onMessage
        self.onReject = onReject
        self.onClose = onClose
    }

    /// Starts the reader and writer threads.
    func start() {
        startThread(name: "gossip-rd-\(id)") { self.readLoop() }
        startThread(name: "gossip-wr-\(id)") { self.writeLoop() }
    }

    /// The peer's hello, once received.
    public var peer: ClusterMessage.Hello? { lock.withLock { state.peerHello } }

    /// Messages dropped because the send queue was full.
    public var queueDrops: UInt64 { lock.withLock { state.queueDrops } }

    /// Whether the connection is closed.
    public var isClosed: Bool { lock.withLock { state.closed } }

    /// Sends a message: writes it now when the line is free (see the type's comment), else queues
    /// it; returns false when it was dropped (queue full or closed).
    @discardableResult
    public func send(_ message: ClusterMessage) -> Bool {
        let now = monotonicNanos()
        let quiet = faults.isQuiet
        var direct: (sequence: UInt64, nonce: UInt64)?
        let accepted: Bool = lock.withLock {
            if state.closed { return false }
            if quiet && !state.writing && state.queue.isEmpty && state.pending.isEmpty, let hello = state.peerHello {
                state.writing = true
                state.liveThreads += 1
                direct = (state.sendSequence, hello.nonce)
                state.sendSequence += 1
                return true
            }
            if state.queuedBytes > queueBytesMax {
                state.queueDrops += 1
                return false
            }
            state.queue.append((message, now))
            state.queuedBytes += Self.estimate(message)
            lock.broadcast()
            return true
        }
        if let direct { writeDirectly(message, sequence: direct.sequence, nonce: direct.nonce) }
        return accepted
    }

    /// Writes one message on the sender's thread without blocking; what does not fit is left to
    /// the writer thread.
    private func writeDirectly(_ message: ClusterMessage, sequence: UInt64, nonce: UInt64) {
        let bytes = codec.encode(message, sequence: sequence, receiverNonce: nonce)
        let written: Int?
        do { written = try bytes.withUnsafeBytes { try Socket.writeSome(fd, $0) } } catch { written = nil }
        lock.withLock {
            if let written, written < bytes.count { state.pending = Array(bytes[written...]) }
            state.writing = false
            if !state.queue.isEmpty || !state.pending.isEmpty { lock.broadcast() }
        }
        if written == nil { close() }
        threadExited()
    }

    static func estimate(_ m: ClusterMessage) -> Int {
        switch m {
        case .events(_, _, let e): 128 * e.count
        case .records(let r): 1024 * r.count
        case .bucketDigests(_, let d): 32 * d.count
        case .forward(_, let a): 256 * a.count
        default: 64
        }
    }

    /// Closes the connection (idempotent).
    public func close() {
        let first: Bool = lock.withLock {
            if state.closed { return false }
            state.closed = true
            lock.broadcast()
            return true
        }
        if first {
            shutdown(fd, Int32(SHUT_RDWR))
            onClose(self)
        }
    }

    // MARK: - Threads

    private func writeLoop() {
        var rng = UInt64(truncatingIfNeeded: myNonce) | 1
        // The hello goes first, bound to nonce 0.
        let hello = codec.encode(.hello(myHello), sequence: 1, receiverNonce: 0)
        guard write(hello) else {
            close()
            threadExited()
            return
        }
        lock.withLock {
            state.sendSequence = 2
            state.writing = false
        }
        var out: [UInt8] = []
        out.reserveCapacity(64 << 10)
        while true {
            var batch: [(bytes: ClusterMessage, queuedAt: UInt64)] = []
            var pending: [UInt8] = []
            var nonce: UInt64 = 0
            let stop: Bool = lock.withLock {
                while !state.closed && (state.writing || state.peerHello == nil || (state.queue.isEmpty && state.pending.isEmpty)) {
                    lock.wait()
                }
                if state.closed { return true }
                state.writing = true
                swap(&pending, &state.pending)
                swap(&batch, &state.queue)  // everything queued goes out in one write
                state.queuedBytes = 0
                nonce = state.peerHello!.nonce
                return false
            }
            if stop { break }
            if !pending.isEmpty && !write(pending) {
                close()
                threadExited()
                return
            }
            let rule = faults.rule(for: peer?.node)
            var start = 0
            while start < batch.count {
                // Injected latency: each message leaves `latency` (+ jitter) after it was queued, so
                // the link stays a pipe (messages queued meanwhile are not held behind a full sleep).
                var end = batch.count
                if rule.latency > .zero || rule.jitter > .zero {
                    rng = rng &* 6364136223846793005 &+ 1442695040888963407
                    let jitter = rule.jitter.wholeMilliseconds > 0 ? Int64(rng >> 33) % (rule.jitter.wholeMilliseconds + 1) : 0
                    let delay = UInt64(max(0, rule.latency.wholeMilliseconds + jitter)) * 1_000_000
                    let due = batch[start].queuedAt + delay
                    let now = monotonicNanos()
                    if due > now { usleep(useconds_t((due - now) / 1000)) }  // this peer's writer only
                    faults.countDelay()
                    let sendTime = monotonicNanos()
                    end = start + 1
                    while end < batch.count && batch[end].queuedAt + delay <= sendTime { end += 1 }
                }
                if !sendEncoded(batch[start..<end], rule: rule, nonce: nonce, rng: &rng, out: &out) {
                    close()
                    threadExited()
                    return
                }
                start = end
            }
            lock.withLock { state.writing = false }
        }
        close()
        threadExited()
    }

    /// Encodes `items` (dropping what the fault rule drops) and writes them in one write; false
    /// when the write failed.
    private func sendEncoded(
        _ items: ArraySlice<(bytes: ClusterMessage, queuedAt: UInt64)>, rule: FaultRule, nonce: UInt64, rng: inout UInt64,
        out: inout [UInt8]
    ) -> Bool {
        out.removeAll(keepingCapacity: true)
        var sequence = lock.withLock { state.sendSequence }
        for item in items {
            if rule.dropOutbound {
                faults.countDrop()
                continue
            }
            if rule.dropRate > 0 {
                rng = rng &* 6364136223846793005 &+ 1442695040888963407
                if Double(rng >> 11) / Double(1 << 53) < rule.dropRate {
                    faults.countDrop()
                    continue
                }
            }
            out += codec.encode(item.bytes, sequence: sequence, receiverNonce: nonce)
            sequence += 1
        }
        lock.withLock { state.sendSequence = sequence }
        return out.isEmpty || write(out)
    }

    /// The descriptor is closed by whichever thread (or direct sender) stops last, so none uses a
    /// reused fd.
    private func threadExited() {
        let last: Bool = lock.withLock {
            state.liveThreads -= 1
            return state.liveThreads == 0
        }
        if last { Socket.close(fd) }
    }

    private func write(_ bytes: [UInt8]) -> Bool {
        do {
            try bytes.withUnsafeBytes { try Socket.writeAll(fd, $0) }
            return true
        } catch {
            return false
        }
    }

    private func readLoop() {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 20)
        var chunk = [UInt8](repeating: 0, count: 256 << 10)
        var expected: UInt64 = 1
        loop: while true {
            let n: Int
            do { n = try chunk.withUnsafeMutableBytes { try Socket.read(fd, into: $0) } } catch { break }
            if n == 0 { break }
            buffer.append(contentsOf: chunk[0..<n])
            var consumed = 0
            var fatal = false
            buffer.withUnsafeBytes { b in
                while consumed < b.count {
                    guard let (used, result) = codec.decode(
                        UnsafeRawBufferPointer(rebasing: b[consumed...]), expectedSequence: expected, myNonce: myNonce)
                    else { break }
                    consumed += used
                    switch result {
                    case .success(let (sequence, message)):
                        expected = sequence + 1
                        if case .hello(let h) = message {
                            lock.withLock {
                                if state.peerHello == nil { state.peerHello = h }
                                lock.broadcast()
                            }
                        }
                        if faults.rule(for: peer?.node).dropInbound {
                            faults.countDrop()
                        } else {
                            onMessage(self, message)
                        }
                    case .failure(let rejection):
                        onReject(self, rejection)
                        switch rejection {
                        case .undecodable:
                            expected += 1  // authentic and in sequence, just not understood: skip it
                        case .malformed, .unauthenticated:
                            // A broken stream, or frames that are not ours: nothing after them can be
                            // trusted; close (the peer reconnects with a fresh nonce and sequence).
                            fatal = true
                            return
                        }
                    }
                }
            }
            if fatal { break loop }
            if consumed > 0 { buffer.removeFirst(consumed) }
        }
        close()
        threadExited()
    }
}
