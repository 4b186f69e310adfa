import IncidentCore
import PosixIO

/// A minimal blocking HTTP/1.1 client for outgoing calls (webhook deliveries, resolution probes):
/// plain `http://IPv4-or-localhost:port/path`, one request per connection (`Connection: close`),
/// run on its own thread so a slow peer never holds a cooperative-pool thread.
enum HTTPClient {
    /// The status code, or why there is none.
    typealias Outcome = Result<(status: Int, millis: UInt64), HTTPClientError>

    /// Why a call got no status.
    struct HTTPClientError: Error, CustomStringConvertible {
        let description: String
    }

    /// Splits `http://host:port/path`; nil for anything else.
    static func parse(_ url: String) -> (SocketAddress, String)? {
        guard url.hasPrefix("http://") else { return nil }
        let rest = url.dropFirst(7)
        let hostPort = rest.prefix { $0 != "/" }
        let path = rest.dropFirst(hostPort.count)
        let withPort = hostPort.contains(":") ? String(hostPort) : hostPort + ":80"
        guard let address = try? SocketAddress(parsing: withPort) else { return nil }
        return (address, path.isEmpty ? "/" : String(path))
    }

    /// Sends one request and reads the status line.
    static func request(
        _ method: String, url: String, headers: [(String, String)] = [], body: [UInt8] = [], timeoutMillis: Int
    ) async -> Outcome {
        guard let (address, path) = parse(url) else {
            return .failure(HTTPClientError(description: "URL '\(url)' is not valid; expected http://IPv4-or-localhost:port/path"))
        }
        return await withCheckedContinuation { c in
            startThread(name: "aether-http-out") {
                c.resume(returning: send(method, address, path: path, url: url, headers: headers, body: body, timeoutMillis: timeoutMillis))
            }
        }
    }

    private static func send(
        _ method: String, _ address: SocketAddress, path: String, url: String, headers: [(String, String)], body: [UInt8], timeoutMillis: Int
    ) -> Outcome {
        let started = monotonicNanos()
        let fd: Int32
        do { fd = try Socket.connect(address, timeoutMillis: Int32(timeoutMillis)) } catch {
            return .failure(HTTPClientError(description: "\(method) \(url): \(error)"))
        }
        defer { Socket.close(fd) }
        Socket.setReceiveTimeout(fd, millis: timeoutMillis)
        Socket.setSendTimeout(fd, millis: timeoutMillis)
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(address.host):\(address.port)\r\nConnection: close\r\nUser-Agent: aether\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "POST" { head += "Content-Length: \(body.count)\r\n" }
        let request = Array((head + "\r\n").utf8) + body
        do { try request.withUnsafeBytes { try Socket.writeAll(fd, $0) } } catch {
            return .failure(HTTPClientError(description: "\(method) \(url): \(error)"))
        }
        var buffer = [UInt8](repeating: 0, count: 512)
        let n = (try? buffer.withUnsafeMutableBytes { try Socket.read(fd, into: $0) }) ?? -1
        let ms = (monotonicNanos() - started) / 1_000_000
        guard n > 12 else { return .failure(HTTPClientError(description: "\(method) \(url): no response within \(timeoutMillis) ms")) }
        let statusLine = String(decoding: buffer[0..<n].prefix { $0 != 13 && $0 != 10 }, as: UTF8.self)
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let code = Int(parts[1]) else {
            return .failure(HTTPClientError(description: "\(method) \(url): not an HTTP response"))
        }
        return .success((code, ms))
    }
}
