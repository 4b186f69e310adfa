import IncidentCore
import PosixIO

/// Verifies a resolution by fetching a URL: passes on a 2xx status within the timeout.
/// Plain `http://host:port/path` only (IPv4 or localhost); runs on its own thread so the blocking
/// connect and read never hold a cooperative-pool thread.
enum HTTPProbe {
    static func check(url: String, timeoutMillis: Int) async -> VerificationOutcome {
        guard let (address, path) = parse(url) else {
            return VerificationOutcome(method: "http_probe", passed: false, detail: "probe URL '\(url)' is not valid; expected http://IPv4-or-localhost:port/path")
        }
        return await withCheckedContinuation { c in
            startThread(name: "aether-probe") {
                c.resume(returning: fetch(address, path: path, url: url, timeoutMillis: timeoutMillis))
            }
        }
    }

    static func parse(_ url: String) -> (SocketAddress, String)? {
        guard url.hasPrefix("http://") else { return nil }
        let rest = url.dropFirst(7)
        let hostPort = rest.prefix { $0 != "/" }
        let path = rest.dropFirst(hostPort.count)
        let withPort = hostPort.contains(":") ? String(hostPort) : hostPort + ":80"
        guard let address = try? SocketAddress(parsing: withPort) else { return nil }
        return (address, path.isEmpty ? "/" : String(path))
    }

    private static func fetch(_ address: SocketAddress, path: String, url: String, timeoutMillis: Int) -> VerificationOutcome {
        let started = monotonicNanos()
        let fd: Int32
        do { fd = try Socket.connect(address, timeoutMillis: Int32(timeoutMillis)) } catch {
            return VerificationOutcome(method: "http_probe", passed: false, detail: "GET \(url): \(error)")
        }
        defer { Socket.close(fd) }
        Socket.setReceiveTimeout(fd, millis: timeoutMillis)
        let request = Array("GET \(path) HTTP/1.1\r\nHost: \(address.host)\r\nConnection: close\r\nUser-Agent: aether-probe\r\n\r\n".utf8)
        do { try request.withUnsafeBytes { try Socket.writeAll(fd, $0) } } catch {
            return VerificationOutcome(method: "http_probe", passed: false, detail: "GET \(url): \(error)")
        }
        var buffer = [UInt8](repeating: 0, count: 512)
        let n = (try? buffer.withUnsafeMutableBytes { try Socket.read(fd, into: $0) }) ?? -1
        let ms = (monotonicNanos() - started) / 1_000_000
        guard n > 12 else {
            return VerificationOutcome(method: "http_probe", passed: false, detail: "GET \(url): no response within \(timeoutMillis) ms")
        }
        let statusLine = String(decoding: buffer[0..<n].prefix { $0 != 13 && $0 != 10 }, as: UTF8.self)
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, let code = Int(parts[1]) else {
            return VerificationOutcome(method: "http_probe", passed: false, detail: "GET \(url): not an HTTP response")
        }
        let passed = (200...299).contains(code)
        return VerificationOutcome(method: "http_probe", passed: passed, detail: "GET \(url) → \(code) in \(ms) ms")
    }
}
