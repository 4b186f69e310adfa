import IncidentCore
import PosixIO

/// A minimal SMTP client (RFC 5321) for the `smtp` channel: plain SMTP to a configured relay on a
/// trusted network (no TLS, no AUTH), one message per connection, on its own thread.
enum SMTPClient {
    /// Sends one message; returns the relay's final reply, or why it failed.
    static func send(relay: SocketAddress, from: String, to: [String], subject: String, body: String, messageID: String, timeoutMillis: Int) async
        -> Result<String, HTTPClient.HTTPClientError>
    {
        await withCheckedContinuation { c in
            startThread(name: "aether-smtp") {
                c.resume(returning: deliver(relay: relay, from: from, to: to, subject: subject, body: body, messageID: messageID, timeoutMillis: timeoutMillis))
            }
        }
    }

    private static func deliver(relay: SocketAddress, from: String, to: [String], subject: String, body: String, messageID: String, timeoutMillis: Int)
        -> Result<String, HTTPClient.HTTPClientError>
    {
        func fail(_ m: String) -> Result<String, HTTPClient.HTTPClientError> { .failure(HTTPClient.HTTPClientError(description: "SMTP \(relay): \(m)")) }
        let fd: Int32
        do { fd = try Socket.connect(relay, timeoutMillis: Int32(timeoutMillis)) } catch { return fail("\(error)") }
        defer { Socket.close(fd) }
        Socket.setReceiveTimeout(fd, millis: timeoutMillis)
        Socket.setSendTimeout(fd, millis: timeoutMillis)
        var pending: [UInt8] = []
        /// Reads one (possibly multi-line) reply; returns its code and last line.
        func reply() -> (Int, String)? {
            var chunk = [UInt8](repeating: 0, count: 2048)
            while true {
                // A complete reply ends with a line "ddd text" (a space after the code, not '-').
                var start = 0
                var i = 0
                while i < pending.count {
                    if pending[i] == 10 {
                        let line = String(decoding: pending[start..<i], as: UTF8.self).trimmingCRLF()
                        if line.count >= 3, let code = Int(line.prefix(3)), line.count == 3 || line[line.index(line.startIndex, offsetBy: 3)] == " " {
                            pending.removeFirst(i + 1)
                            return (code, line)
                        }
                        start = i + 1
                    }
                    i += 1
                }
                let n = (try? chunk.withUnsafeMutableBytes { try Socket.read(fd, into: $0) }) ?? 0
                if n <= 0 { return nil }
                pending += chunk[0..<n]
            }
        }
        func command(_ text: String, expect: ClosedRange<Int>) -> Result<String, HTTPClient.HTTPClientError>? {
            let bytes = Array((text + "\r\n").utf8)
            do { try bytes.withUnsafeBytes { try Socket.writeAll(fd, $0) } } catch { return fail("\(error)") }
            guard let (code, line) = reply() else { return fail("no reply to \(text.prefix(10))") }
            return expect.contains(code) ? nil : fail("'\(text.prefix(30))' answered '\(line)'")
        }
        guard let (greeting, line) = reply() else { return fail("no greeting") }
        guard greeting == 220 else { return fail("greeting '\(line)'") }
        if let e = command("EHLO aether", expect: 250...250) { return e }
        if let e = command("MAIL FROM:<\(from)>", expect: 250...250) { return e }
        for rcpt in to { if let e = command("RCPT TO:<\(rcpt)>", expect: 250...251) { return e } }
        if let e = command("DATA", expect: 354...354) { return e }
        var message = Array("From: <\(from)>\r\nTo: \(to.map { "<\($0)>" }.joined(separator: ", "))\r\nSubject: ".utf8)
        message += Self.headerSafe(subject)
        message += Array("\r\nMessage-ID: <\(String(decoding: Self.headerSafe(messageID), as: UTF8.self))>\r\nMIME-Version: 1.0\r\n".utf8)
        message += Array("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n".utf8)
        message += Self.body(body)
        do { try message.withUnsafeBytes { try Socket.writeAll(fd, $0) } } catch { return fail("\(error)") }
        guard let (code, accepted) = reply() else { return fail("no reply to the message") }
        guard code == 250 else { return fail("message answered '\(accepted)'") }
        _ = command("QUIT", expect: 200...299)
        return .success(accepted)
    }
}

extension SMTPClient {
    /// A header value with every control byte (CR and LF included, in any combination) made a
    /// space: nothing from an alert or the catalog can start a header or an SMTP command.
    static func headerSafe(_ s: String) -> [UInt8] {
        Array(s.utf8.prefix(998).map { $0 < 32 || $0 == 127 ? 32 : $0 })
    }

    /// The DATA section: lines split on LF with every CR dropped, dot-stuffed on the byte, ended by
    /// CRLF; then the terminating `.` line.
    static func body(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        for line in text.utf8.split(separator: 10, omittingEmptySubsequences: false) {
            let bytes = line.filter { $0 != 13 }
            if bytes.first == UInt8(ascii: ".") { out.append(UInt8(ascii: ".")) }
            out += bytes
            out += [13, 10]
        }
        return out + Array(".\r\n".utf8)
    }
}

extension String {
    fileprivate func trimmingCRLF() -> String {
        var s = Substring(self)
        while let l = s.last, l == "\r" || l == "\n" { s.removeLast() }
        return String(s)
    }
}
