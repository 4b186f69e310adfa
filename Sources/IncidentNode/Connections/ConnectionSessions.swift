import PosixIO
import Synchronization

/// One connection's state in an epoll protocol server (admin, HTTP): what the loop thread feeds
/// and the connection's task reads.
protocol ConnectionSession: AnyObject, Sendable {
    associatedtype Inbound: Sendable
    /// Where the loop thread hands the connection's input to its task.
    var continuation: AsyncStream<Inbound>.Continuation { get }
    /// Set when the peer is gone: the task stops instead of answering nobody.
    var cancelled: Flag { get }
    /// Loop thread: no more input is read for this connection.
    var done: Bool { get set }
}

/// The sessions of an epoll server's connections and one task per connection serving it — the
/// bookkeeping the admin and HTTP servers share. The loop thread opens, finds, finishes and
/// closes sessions (`byID` is only touched there); each connection's task gets its session once,
/// from `live`, when it starts.
final class ConnectionSessions<Session: ConnectionSession>: @unchecked Sendable {
    // @unchecked: `byID` is used only on the epoll loop thread; `live` is a Mutex and the
    // stream's continuation is Sendable.
    typealias ID = EpollServer.ConnectionID

    private var byID: [ID: Session] = [:]
    private let live = Mutex<[ID: Session]>([:])
    private let arrivals: AsyncStream<(ID, AsyncStream<Session.Inbound>)>
    private let arrivalsContinuation: AsyncStream<(ID, AsyncStream<Session.Inbound>)>.Continuation

    init() {
        (arrivals, arrivalsContinuation) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
    }

    /// Runs `serve` for every connection opened, each in a child task, until `stopped()`.
    func serveAll(_ serve: @escaping @Sendable (ID, Session, AsyncStream<Session.Inbound>) async -> Void) async {
        await withDiscardingTaskGroup { group in
            for await (id, stream) in arrivals {
                group.addTask {
                    guard let session = self.live.withLock({ $0[id] }) else { return }
                    defer { self.live.withLock { _ = $0.removeValue(forKey: id) } }
                    await serve(id, session, stream)
                }
            }
        }
    }

    // MARK: - Loop thread

    /// A new connection: `make` builds its session around the continuation of its input stream,
    /// and its task starts.
    func open(_ id: ID, _ make: (AsyncStream<Session.Inbound>.Continuation) -> Session) {
        let (stream, continuation) = AsyncStream<Session.Inbound>.makeStream(bufferingPolicy: .unbounded)
        let session = make(continuation)
        byID[id] = session
        live.withLock { $0[id] = session }
        arrivalsContinuation.yield((id, stream))
    }

    /// The session of a connection still reading, if any.
    func reading(_ id: ID) -> Session? {
        guard let s = byID[id], !s.done else { return nil }
        return s
    }

    /// Every connection still reading.
    var allReading: [(ID, Session)] { byID.filter { !$0.value.done }.map { ($0.key, $0.value) } }

    /// Ends a connection's input: its task answers what was read, then ends.
    func endInput(_ s: Session) {
        s.done = true
        s.continuation.finish()
    }

    /// Ends a connection's input after a protocol error or a stall, and stops reading it.
    func finishInput(_ s: Session, _ id: ID, server: EpollServer) {
        endInput(s)
        server.stopReading(id)
    }

    /// The connection is gone: its task stops.
    func closed(_ id: ID) {
        guard let s = byID.removeValue(forKey: id) else { return }
        s.cancelled.set()
        s.continuation.finish()
    }

    /// The server stopped: no more connections.
    func stopped() { arrivalsContinuation.finish() }
}

/// A one-way flag shared between threads.
final class Flag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}

/// Pauses reading a connection while more than `limit` of its requests wait to be answered, and
/// resumes it once half of them are: the loop thread counts arrivals, the answering task counts
/// answers. Each side re-checks after its own change (sequentially consistent atomics), so a
/// connection never stays paused with nothing left to answer — not even when the answers catch
/// up between the loop's count and its pause.
final class ReadGate: Sendable {
    private let queued = Atomic<Int>(0)
    private let paused = Atomic<Bool>(false)
    let limit: Int

    init(limit: Int) { self.limit = limit }

    /// Loop thread: `n` more requests wait. Over the limit, calls `pause`; if the answers caught
    /// up meanwhile, calls `resume` right after.
    func arrived(_ n: Int, pause: () -> Void, resume: () -> Void) {
        guard queued.wrappingAdd(n, ordering: .sequentiallyConsistent).newValue > limit else { return }
        paused.store(true, ordering: .sequentiallyConsistent)
        pause()
        if queued.load(ordering: .sequentiallyConsistent) <= limit / 2, paused.exchange(false, ordering: .sequentiallyConsistent) { resume() }
    }

    /// Answering task: `n` requests were answered; calls `resume` if reading was paused and half
    /// the limit is reached.
    func answered(_ n: Int, resume: () -> Void) {
        if queued.wrappingAdd(-n, ordering: .sequentiallyConsistent).newValue <= limit / 2, paused.exchange(false, ordering: .sequentiallyConsistent) {
            resume()
        }
    }
}
