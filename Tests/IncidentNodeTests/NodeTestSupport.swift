import AdminProtocol
import AetherJSON
import Foundation
import IncidentCore
import PosixIO
import Testing

@testable import IncidentNode

#if canImport(Glibc)
import Glibc
#endif

// Helpers for in-process node tests: a temp data dir, a node running in a task, and a small
// blocking admin client. Blocking socket work runs on its own thread (`onThread`), never on the
// cooperative pool the node's own tasks need.

struct NodeTestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Runs each job on a new thread of its own: blocking socket calls made there never take a thread
/// from the cooperative pool the node's tasks run on (2 threads on 2 cores).
final class ThreadPerJobExecutor: TaskExecutor {
    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let thread = Thread { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
        thread.stackSize = 4 << 20
        thread.start()
    }
}

let blockingExecutor = ThreadPerJobExecutor()

/// Runs blocking work on a dedicated thread, in the calling task (so `#expect` inside it is
/// attributed to the running test).
func onThread<T>(_ body: () throws -> T) async throws -> T {
    try await withTaskExecutorPreference(blockingExecutor) {
        return try body()
    }
}

/// A fresh, unique directory under /tmp.
func makeTempDir(_ tag: String = "node") throws -> String {
    let path = "/tmp/aether-nodetests-\(tag)-\(getpid())-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func removeDir(_ path: String) {
    try? FileManager.default.removeItem(atPath: path)
}

/// Copies a data directory, as a crash would leave it (the node keeps running).
func copyDir(_ from: String, _ to: String) throws {
    removeDir(to)
    try FileManager.default.copyItem(atPath: from, toPath: to)
}

/// A configuration for tests: loopback, port 0, the given data dir, a short partial-line timeout.
func testConfiguration(dataDir: String, _ tweak: (inout NodeConfiguration) -> Void = { _ in }) -> NodeConfiguration {
    var c = NodeConfiguration()
    c.nodeID = NodeID("testnode")
    c.admin = SocketAddress(host: "127.0.0.1", port: 0)
    c.gossip = SocketAddress(host: "127.0.0.1", port: 0)
    c.http = SocketAddress(host: "127.0.0.1", port: 0)
    c.dataDir = dataDir
    c.adminLimits.partialLineTimeout = .seconds(1)
    tweak(&c)
    return c
}

func quietLogger() -> Logger {
    Logger(label: "test", level: .error, handler: MemoryLogHandler())
}

/// A node running `run()` in a task.
final class TestNode: Sendable {
    let runtime: NodeRuntime
    let task: Task<Void, Never>

    var address: SocketAddress { runtime.adminAddress }
    var dataDir: String { runtime.configuration.effectiveDataDir }

    private init(runtime: NodeRuntime) {
        self.runtime = runtime
        task = Task { await runtime.run() }
    }

    static func start(_ configuration: NodeConfiguration, logger: Logger = quietLogger()) async throws -> TestNode {
        TestNode(runtime: try await NodeRuntime.start(configuration, logger: logger))
    }

    /// Shuts down and waits for `run()` to finish (flush, snapshot, close).
    func stop() async {
        runtime.shutdown()
        await task.value
    }

    /// Opens a client.
    func client(timeoutMillis: Int = 10_000) throws -> AdminClient {
        try AdminClient(address, receiveTimeoutMillis: timeoutMillis)
    }
}

/// Starts a node on a fresh data dir, runs `body`, stops the node and removes the dir.
func withNode<T: Sendable>(
    _ tweak: (inout NodeConfiguration) -> Void = { _ in },
    _ body: (TestNode) async throws -> T
) async throws -> T {
    let dir = try makeTempDir()
    defer { removeDir(dir) }
    let node = try await TestNode.start(testConfiguration(dataDir: dir, tweak))
    do {
        let r = try await body(node)
        await node.stop()
        return r
    } catch {
        await node.stop()
        throw error
    }
}

/// Starts a node on a fresh data dir and runs blocking client code against it on its own thread.
func withNodeClient<T: Sendable>(
    _ tweak: (inout NodeConfiguration) -> Void = { _ in },
    _ body: (TestNode) throws -> T
) async throws -> T {
    try await withNode(tweak) { node in try await onThread { try body(node) } }
}

/// A blocking admin-protocol client over `PosixIO.Socket`. Reads have a receive timeout, so a hang
/// fails the test instead of blocking it.
final class AdminClient: @unchecked Sendable {
    // @unchecked: used by one thread at a time.
    let fd: Int32
    private var buffer: [UInt8] = []
    private var nextID: Int64 = 1
    private var closed = false
    /// Sent with every `call`.
    var token: String?

    init(_ address: SocketAddress, receiveTimeoutMillis: Int = 10_000) throws {
        fd = try Socket.connect(address, timeoutMillis: 5000)
        Socket.setReceiveTimeout(fd, millis: receiveTimeoutMillis)
    }

    deinit { close() }

    func close() {
        if !closed {
            closed = true
            Socket.close(fd)
        }
    }

    /// Sends raw bytes.
    func send(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try Socket.writeAll(fd, $0) }
    }

    /// Sends `text` plus a newline.
    func sendLine(_ text: String) throws {
        try send(Array(text.utf8) + [10])
    }

    /// Sends a request line; returns its id.
    @discardableResult
    func sendRequest(_ op: String, _ args: JSONObject = JSONObject(), id: JSONValue? = nil, token: String? = nil) throws -> JSONValue {
        let id = id ?? nextRequestID()
        try send(AdminRequest(id: id, op: op, args: args, token: token ?? self.token).encoded + [10])
        return id
    }

    func nextRequestID() -> JSONValue {
        defer { nextID += 1 }
        return .int(nextID)
    }

    /// One line (without the newline); nil when the server closed the connection (EOF or reset).
    /// Throws when nothing arrives within the receive timeout.
    func readLine() throws -> [UInt8]? {
        while true {
            if let nl = buffer.firstIndex(of: 10) {
                let line = Array(buffer[..<nl])
                buffer.removeFirst(nl + 1)
                return line
            }
            var chunk = [UInt8](repeating: 0, count: 64 << 10)
            let fd = self.fd
            let result: Result<Int, SystemError> = chunk.withUnsafeMutableBytes { buffer in
                do throws(SystemError) { return .success(try Socket.read(fd, into: buffer)) } catch { return .failure(error) }
            }
            let n: Int
            switch result {
            case .success(let count): n = count
            case .failure(let error):
                if error.errno == EAGAIN || error.errno == EWOULDBLOCK {
                    throw NodeTestFailure("no response within the receive timeout (\(buffer.count) bytes of a partial line buffered)")
                }
                if error.errno == ECONNRESET { return nil }
                throw error
            }
            if n == 0 { return nil }
            buffer.append(contentsOf: chunk[..<n])
        }
    }

    /// The next response line, parsed.
    func readResponse() throws -> AdminResponse.Parsed {
        guard let line = try readLine() else { throw NodeTestFailure("connection closed while waiting for a response") }
        guard let r = AdminResponse.parse(line) else {
            throw NodeTestFailure("unparseable response line: \(String(decoding: line, as: UTF8.self))")
        }
        return r
    }

    /// Whether the server has closed the connection (reads to the end; fails on timeout).
    func readsEndOfStream() throws -> Bool {
        try readLine() == nil
    }

    /// Sends a request and reads its response, checking the echoed id.
    func call(_ op: String, _ args: JSONObject = JSONObject(), token: String? = nil) throws -> Result<JSONValue, AdminError> {
        let id = try sendRequest(op, args, token: token)
        let r = try readResponse()
        guard r.id == id else { throw NodeTestFailure("response id \(r.id) does not match request id \(id)") }
        return r.outcome
    }

    /// A call that must succeed; returns its result object.
    func ok(_ op: String, _ args: JSONObject = JSONObject(), token: String? = nil) throws -> JSONObject {
        switch try call(op, args, token: token) {
        case .success(let v):
            guard let o = v.objectValue else { throw NodeTestFailure("\(op) result is not an object: \(v)") }
            return o
        case .failure(let e):
            throw NodeTestFailure("\(op) \(JSONValue.object(args)) failed: \(e)")
        }
    }

    /// A call that must fail; returns its error.
    func fails(_ op: String, _ args: JSONObject = JSONObject(), token: String? = nil) throws -> AdminError {
        switch try call(op, args, token: token) {
        case .success(let v): throw NodeTestFailure("\(op) \(JSONValue.object(args)) unexpectedly succeeded: \(v)")
        case .failure(let e): return e
        }
    }

    /// Ingests one alert; returns the incident id.
    func ingest(_ alert: JSONObject) throws -> String {
        let r = try ok("alert.ingest", alert)
        guard let id = r["incident_id"]?.stringValue else { throw NodeTestFailure("alert.ingest returned no incident_id: \(r)") }
        return id
    }

    func incident(_ id: String) throws -> JSONObject {
        try ok("incident.get", ["id": .string(id)])
    }
}

/// The `kind`s of an incident's timeline.
func timelineKinds(_ incident: JSONObject) -> [String] {
    (incident["timeline"]?.arrayValue ?? []).compactMap { $0["kind"]?.stringValue }
}
