import AetherJSON
import PosixIO
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A webhook receiver on loopback for notification benchmarks and tests: answers each request with
/// the next status of a script (then 200) and records its `Idempotency-Key`, JSON body, status and
/// arrival time (wall clock, seconds). One thread, one request per connection, as the node's HTTP
/// client sends them.
public final class WebhookReceiver: Sendable {
    /// One request as received.
    public struct Request: Sendable {
        public var key: String
        public var body: JSONValue?
        public var status: Int
        public var at: Double
    }

    public let address: SocketAddress
    private let fd: Int32
    private let state: Mutex<(script: [Int], received: [Request])>
    private let stopped = Mutex(false)

    /// Listens on 127.0.0.1 (any port); `statuses` are answered in order, then 200.
    public init(statuses: [Int] = []) throws(CLIError) {
        do { (fd, address) = try Socket.listen(SocketAddress(host: "127.0.0.1", port: 0)) } catch {
            throw CLIError(.failed("webhook receiver: \(error)"))
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)  // a blocking accept on its own thread
        state = Mutex((statuses, []))
        startThread(name: "webhook-receiver") { self.loop() }
    }

    deinit { stop() }

    /// Every request so far.
    public var requests: [Request] { state.withLock { $0.received } }

    /// Stops accepting.
    public func stop() {
        let first = stopped.withLock { s in
            defer { s = true }
            return !s
        }
        if first {
            shutdown(fd, Int32(SHUT_RDWR))
            Socket.close(fd)
        }
    }

    private func loop() {
        var chunk = [UInt8](repeating: 0, count: 16 << 10)
        while true {
            let c = accept(fd, nil, nil)
            if c < 0 {
                if errno == EINTR { continue }
                return
            }
            Socket.setReceiveTimeout(c, millis: 2000)
            var buffer: [UInt8] = []
            var key = ""
            var body: [UInt8] = []
            while true {
                let n = chunk.withUnsafeMutableBytes { b in (try? Socket.read(c, into: b)) ?? 0 }
                if n <= 0 { break }
                buffer += chunk[0..<n]
                guard let end = Self.headEnd(buffer) else { continue }
                let lines = String(decoding: buffer[0..<end], as: UTF8.self).split(separator: "\r\n")
                func header(_ name: String) -> String? {
                    lines.first { $0.lowercased().hasPrefix(name + ":") }.map { String($0.dropFirst(name.count + 1)).filter { $0 != " " } }
                }
                key = header("idempotency-key") ?? ""
                let length = header("content-length").flatMap { Int($0) } ?? 0
                if buffer.count >= end + 4 + length {
                    body = Array(buffer[(end + 4)..<(end + 4 + length)])
                    break
                }
            }
            let at = EscalationFailoverBench.wallSeconds()
            let parsed = try? JSONParser.parse(body)
            let status = state.withLock { s -> Int in
                let status = s.script.isEmpty ? 200 : s.script.removeFirst()
                s.received.append(Request(key: key, body: parsed, status: status, at: at))
                return status
            }
            let reply = Array("HTTP/1.1 \(status) X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8)
            reply.withUnsafeBytes { b in _ = try? Socket.writeAll(c, b) }
            Socket.close(c)
        }
    }

    private static func headEnd(_ b: [UInt8]) -> Int? {
        guard b.count >= 4 else { return nil }
        for i in 0...(b.count - 4) where b[i] == 13 && b[i + 1] == 10 && b[i + 2] == 13 && b[i + 3] == 10 { return i }
        return nil
    }
}
