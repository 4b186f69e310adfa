import CEpoll
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A TCP server driven by one epoll thread: accepts, reads and writes every connection without a
/// thread per connection. Protocol code plugs in through `EpollServerDelegate`, whose callbacks run
/// on the loop thread and must not block; replies come back from any thread through `send`.
///
/// Replies from other threads are written straight to the socket by the sending thread when
/// nothing of that connection's is waiting in the loop (the common case: one answer per request).
/// Only a reply the socket cannot take at once, or one that closes the connection, goes through the
/// loop thread. That saves a thread wake-up per reply, and keeps replies in order (see `Lane`).
///
/// Limits: each connection buffers at most `outputBytesMax` of unsent replies; past that the loop
/// stops reading from it until the client catches up, so a client that does not read cannot grow
/// the node's memory or slow other connections.
public final class EpollServer: @unchecked Sendable {
    // @unchecked: `connections` and the epoll fd are used only on the loop thread; cross-thread
    // requests go through `outbox`, a Mutex, plus an eventfd wake-up, or through a connection's
    // `Lane` (its own Mutex) for direct writes.

    /// Identifies one connection for its lifetime (never reused).
    public typealias ConnectionID = UInt64

    /// Server limits.
    public struct Limits: Sendable {
        /// Unsent reply bytes per connection before reading pauses.
        public var outputBytesMax = 8 << 20
        /// Bytes read per `read` call.
        public var readChunkBytes = 64 << 10
        /// Most open connections; more are accepted and closed at once.
        public var connectionsMax = 10_000
        /// How often `tick` runs.
        public var tickMillis: Int32 = 250

        /// The defaults.
        public init() {}
    }

    /// What the loop and a replying thread share about one connection, under one lock: a direct
    /// write happens only while the connection is open and the loop holds none of its output, so
    /// replies stay in order and a closed (possibly reused) descriptor is never written.
    final class Lane: Sendable {
        struct State {
            var closed = false
            /// `.send` commands queued for the loop and not yet applied.
            var queuedSends = 0
            /// The loop's output buffer for the connection is not empty.
            var loopHasOutput = false
        }
        let fd: Int32
        let state = Mutex(State())
        init(fd: Int32) { self.fd = fd }
    }

    final class Connection {
        let fd: Int32
        let lane: Lane
        var output: [UInt8] = []
        var outputOffset = 0
        var closeAfterWrite = false
        var inputEnded = false
        var backPressured = false
        var readingStopped = false
        var delegatePaused = false
        var readingPaused: Bool { inputEnded || backPressured || readingStopped || delegatePaused }
        var pendingBytes: Int { output.count - outputOffset }
        init(fd: Int32) {
            self.fd = fd
            lane = Lane(fd: fd)
        }
    }

    enum Command {
        case send(ConnectionID, [UInt8], close: Bool)
        case close(ConnectionID)
        case resume(ConnectionID)
        case stop
    }

    private let listenFD: Int32
    /// The bound address.
    public let address: SocketAddress
    private let epfd: Int32
    private let wakeFD: Int32
    private let limits: Limits
    private var connections: [ConnectionID: Connection] = [:]
    /// Every open connection's lane, for direct writes from other threads.
    private let lanes = Mutex<[ConnectionID: Lane]>([:])
    private var nextID: ConnectionID = 1
    private let outbox = Mutex<[Command]>([])
    private weak var delegate: (any EpollServerDelegate)?
    private let stopped = Mutex(false)

    /// Binds and listens; call `start` to run the loop.
    public init(address: SocketAddress, limits: Limits = Limits()) throws(SystemError) {
        let (fd, bound) = try Socket.listen(address)
        listenFD = fd
        self.address = bound
        self.limits = limits
        epfd = epoll_create1(Int32(EPOLL_CLOEXEC))
        wakeFD = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        guard epfd >= 0, wakeFD >= 0 else { throw .current("epoll_create1/eventfd") }
        _ = cepoll_ctl(epfd, EPOLL_CTL_ADD, listenFD, EPOLLIN.rawValue, 0)
        _ = cepoll_ctl(epfd, EPOLL_CTL_ADD, wakeFD, EPOLLIN.rawValue, UInt64.max)
    }

    /// Starts the loop thread.
    public func start(delegate: any EpollServerDelegate, name: String) {
        self.delegate = delegate
        startThread(name: name) { self.run() }
    }

    /// Sends bytes on a connection (any thread); `close` closes it once they are written. Written
    /// at once by the calling thread when the loop holds nothing of the connection's; what the
    /// socket does not take goes to the loop.
    public func send(_ id: ConnectionID, _ bytes: [UInt8], close: Bool = false) {
        guard let lane = lanes.withLock({ $0[id] }) else { return }
        lane.state.withLock { s in
            if s.closed { return }
            var written = 0
            if !close, s.queuedSends == 0, !s.loopHasOutput {
                written = Self.writeNow(lane.fd, bytes)
                if written == bytes.count { return }
            }
            s.queuedSends += 1
            enqueue(.send(id, written == 0 ? bytes : Array(bytes[written...]), close: close))
        }
    }

    /// Writes what the socket takes without blocking; 0 when it takes nothing or fails (the loop
    /// then retries and sees the error).
    private static func writeNow(_ fd: Int32, _ bytes: [UInt8]) -> Int {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
            if n > 0 {
                offset += n
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                break
            }
        }
        return offset
    }

    /// Closes a connection (any thread).
    public func close(_ id: ConnectionID) { enqueue(.close(id)) }

    /// Stops accepting, closes every connection and ends the loop.
    public func stop() { enqueue(.stop) }

    /// Whether the loop has ended.
    public var isStopped: Bool { stopped.withLock { $0 } }

    private func enqueue(_ c: Command) {
        let wasEmpty = outbox.withLock { box in
            let e = box.isEmpty
            box.append(c)
            return e
        }
        if wasEmpty {
            var one: UInt64 = 1
            _ = Glibc.write(wakeFD, &one, 8)
        }
    }

    // MARK: - Loop thread

    private func run() {
        var events = [epoll_event](repeating: epoll_event(), count: 256)
        var readBuffer = [UInt8](repeating: 0, count: limits.readChunkBytes)
        var lastTick = monotonicNanos()
        loop: while true {
            let n = events.withUnsafeMutableBufferPointer { epoll_wait(epfd, $0.baseAddress, 256, limits.tickMillis) }
            if n < 0 && errno != EINTR { break }
            for i in 0..<max(0, Int(n)) {
                let (mask, data) = withUnsafePointer(to: &events[i]) { (cepoll_event_events($0), cepoll_event_data($0)) }
                if data == 0 {
                    acceptAll()
                } else if data == UInt64.max {
                    var v: UInt64 = 0
                    _ = Glibc.read(wakeFD, &v, 8)
                } else if let conn = connections[data] {
                    if mask & EPOLLOUT.rawValue != 0 { flush(data, conn) }
                    guard connections[data] != nil else { continue }
                    if mask & (EPOLLIN.rawValue | EPOLLRDHUP.rawValue) != 0, !conn.readingPaused {
                        readAvailable(data, conn, &readBuffer)
                    }
                    // Both directions closed (HUP) or an error: nothing more can be read or written.
                    if mask & (EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0, connections[data] != nil {
                        if conn.readingPaused || mask & EPOLLERR.rawValue != 0 { drop(data) } else { readAvailable(data, conn, &readBuffer) }
                    }
                }
            }
            if drainOutbox() { break loop }
            let now = monotonicNanos()
            if now - lastTick >= UInt64(limits.tickMillis) * 1_000_000 {
                lastTick = now
                delegate?.tick(server: self)
            }
        }
        for (id, c) in connections {
            closeDescriptor(id, c)
            delegate?.closed(id, server: self)
        }
        connections.removeAll()
        delegate?.stopped(server: self)
        Glibc.close(listenFD)
        Glibc.close(epfd)
        Glibc.close(wakeFD)
        stopped.withLock { $0 = true }
    }

    private func acceptAll() {
        while true {
            let fd = cepoll_accept_nonblocking(listenFD)
            if fd < 0 { return }  // EAGAIN or a transient error; epoll tells us again
            if connections.count >= limits.connectionsMax {
                Glibc.close(fd)
                continue
            }
            Socket.setNoDelay(fd)
            let id = nextID
            nextID += 1
            let conn = Connection(fd: fd)
            connections[id] = conn
            lanes.withLock { $0[id] = conn.lane }
            _ = cepoll_ctl(epfd, EPOLL_CTL_ADD, fd, EPOLLIN.rawValue | EPOLLRDHUP.rawValue, id)
            delegate?.accepted(id, server: self)
        }
    }

    private func readAvailable(_ id: ConnectionID, _ conn: Connection, _ buffer: inout [UInt8]) {
        var rounds = 0
        while !conn.readingPaused && rounds < 16 {
            rounds += 1
            let n = buffer.withUnsafeMutableBytes { recv(conn.fd, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                buffer.withUnsafeBytes { delegate?.received(id, UnsafeRawBufferPointer(rebasing: $0[0..<n]), server: self) }
                if connections[id] == nil { return }
                if n < buffer.count { return }
            } else if n == 0 {
                conn.inputEnded = true
                updateInterest(id, conn)
                delegate?.endOfInput(id, server: self)
                return
            } else {
                if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return }
                drop(id)
                return
            }
        }
    }

    private func updateInterest(_ id: ConnectionID, _ conn: Connection) {
        var mask: UInt32 = 0
        if !conn.readingPaused { mask |= EPOLLIN.rawValue | EPOLLRDHUP.rawValue }
        if conn.outputOffset < conn.output.count { mask |= EPOLLOUT.rawValue }
        _ = cepoll_ctl(epfd, EPOLL_CTL_MOD, conn.fd, mask, id)
    }

    private func flush(_ id: ConnectionID, _ conn: Connection) {
        while conn.outputOffset < conn.output.count {
            let n = conn.output.withUnsafeBytes {
                Glibc.send(conn.fd, $0.baseAddress! + conn.outputOffset, $0.count - conn.outputOffset, Int32(MSG_NOSIGNAL))
            }
            if n < 0 {
                if errno == EAGAIN || errno == EWOULDBLOCK {
                    conn.lane.state.withLock { $0.loopHasOutput = true }
                    updateInterest(id, conn)
                    return
                }
                if errno == EINTR { continue }
                drop(id)
                return
            }
            conn.outputOffset += n
        }
        conn.output.removeAll(keepingCapacity: conn.output.capacity <= 1 << 20)
        conn.outputOffset = 0
        conn.lane.state.withLock { $0.loopHasOutput = false }
        if conn.closeAfterWrite {
            drop(id)
            return
        }
        conn.backPressured = false  // everything written: read again
        updateInterest(id, conn)
    }

    private func drop(_ id: ConnectionID) {
        guard let conn = connections.removeValue(forKey: id) else { return }
        _ = cepoll_ctl(epfd, EPOLL_CTL_DEL, conn.fd, 0, 0)
        closeDescriptor(id, conn)
        delegate?.closed(id, server: self)
    }

    /// Closes under the lane's lock, so no direct write can use the descriptor (or a later
    /// connection's that reuses its number).
    private func closeDescriptor(_ id: ConnectionID, _ conn: Connection) {
        lanes.withLock { _ = $0.removeValue(forKey: id) }
        conn.lane.state.withLock { s in
            s.closed = true
            Glibc.close(conn.fd)
        }
    }

    /// Applies queued commands; returns true on stop.
    private func drainOutbox() -> Bool {
        let commands = outbox.withLock { box in
            let c = box
            box.removeAll(keepingCapacity: true)
            return c
        }
        for c in commands {
            switch c {
            case .send(let id, let bytes, let close):
                guard let conn = connections[id] else { continue }
                if conn.outputOffset > 0 && conn.outputOffset == conn.output.count {
                    conn.output.removeAll(keepingCapacity: true)
                    conn.outputOffset = 0
                }
                conn.output.append(contentsOf: bytes)
                if close { conn.closeAfterWrite = true }
                flush(id, conn)
                // Only now may a direct write follow: everything queued before it is written or
                // buffered here (and then `loopHasOutput` holds further writes back).
                conn.lane.state.withLock { $0.queuedSends -= 1 }
                if let c = connections[id], c.pendingBytes > limits.outputBytesMax, !c.backPressured {
                    c.backPressured = true  // the client does not read: stop reading its requests
                    updateInterest(id, c)
                }
            case .close(let id):
                drop(id)
            case .resume(let id):
                if let c = connections[id], c.delegatePaused {
                    c.delegatePaused = false
                    updateInterest(id, c)
                }
            case .stop:
                return true
            }
        }
        return false
    }

    /// Pauses reading a connection until `resumeReading` (call on the loop thread: the protocol has
    /// too much unanswered input queued).
    public func stopReadingTemporarily(_ id: ConnectionID) {
        guard let conn = connections[id], !conn.delegatePaused else { return }
        conn.delegatePaused = true
        updateInterest(id, conn)
    }

    /// Resumes reading after `stopReadingTemporarily` (any thread).
    public func resumeReading(_ id: ConnectionID) { enqueue(.resume(id)) }

    /// Stops reading a connection for good (call on the loop thread, e.g. after a protocol error).
    public func stopReading(_ id: ConnectionID) {
        guard let conn = connections[id] else { return }
        conn.readingStopped = true
        updateInterest(id, conn)
    }
}

/// Protocol callbacks; all run on the loop thread and must return quickly.
public protocol EpollServerDelegate: AnyObject, Sendable {
    /// A connection was accepted.
    func accepted(_ id: EpollServer.ConnectionID, server: EpollServer)
    /// Bytes arrived (valid only during the call).
    func received(_ id: EpollServer.ConnectionID, _ bytes: UnsafeRawBufferPointer, server: EpollServer)
    /// The peer closed its sending side; replies can still be sent.
    func endOfInput(_ id: EpollServer.ConnectionID, server: EpollServer)
    /// The connection is gone.
    func closed(_ id: EpollServer.ConnectionID, server: EpollServer)
    /// Periodic tick for timeouts.
    func tick(server: EpollServer)
    /// The loop has ended and every connection is closed.
    func stopped(server: EpollServer)
}
