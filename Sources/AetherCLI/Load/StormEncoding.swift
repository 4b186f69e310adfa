/// Builds storm requests straight into byte buffers and reads replies without a full JSON parse
/// (the load generator shares the node's two cores, so it must be cheap).
enum StormEncoding {
    @inline(__always)
    static func appendInt(_ v: Int, _ out: inout [UInt8]) {
        if v == 0 {
            out.append(48)
            return
        }
        var x = v
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = 0
        withUnsafeMutableBytes(of: &digits) { d in
            while x > 0 {
                d[n] = UInt8(48 + x % 10)
                x /= 10
                n += 1
            }
            for i in stride(from: n - 1, through: 0, by: -1) { out.append(d[i]) }
        }
    }

    /// One alert object for alert number `i`.
    static func appendAlert(_ i: Int, config: StormConfiguration, _ out: inout [UInt8]) {
        let key = config.keyNumber(i)
        out.append(contentsOf: #"{"title":"Storm alert "#.utf8)
        appendInt(key, &out)
        out.append(contentsOf: #"","dedup_key":""#.utf8)
        out.append(contentsOf: config.keyPrefix.utf8)
        out.append(45)
        appendInt(key, &out)
        out.append(contentsOf: #"","source":"aether-storm","service":"storm-svc-"#.utf8)
        appendInt(key % 10, &out)
        out.append(contentsOf: #"","severity":"warning"}"#.utf8)
    }

    /// `{"id":r,"op":"alert.ingest[_batch]","args":…}\n`.
    static func adminRequest(_ r: Int, firstAlert: Int, count: Int, config: StormConfiguration, into out: inout [UInt8]) {
        out.append(contentsOf: #"{"id":"#.utf8)
        appendInt(r, &out)
        if count == 1 && config.batch == 1 {
            out.append(contentsOf: #","op":"alert.ingest","args":"#.utf8)
            appendAlert(firstAlert, config: config, &out)
        } else {
            out.append(contentsOf: #","op":"alert.ingest_batch","args":{"alerts":["#.utf8)
            for i in firstAlert..<(firstAlert + count) {
                if i > firstAlert { out.append(44) }
                appendAlert(i, config: config, &out)
            }
            out.append(contentsOf: "]}".utf8)
        }
        if let token = config.token {
            out.append(contentsOf: #","token":""#.utf8)
            out.append(contentsOf: token.utf8)
            out.append(34)
        }
        out.append(contentsOf: "}\n".utf8)
    }

    /// `POST /api/v2/alerts` with `count` alerts, keep-alive.
    static func alertmanagerRequest(firstAlert: Int, count: Int, config: StormConfiguration, host: String, into out: inout [UInt8]) {
        var body: [UInt8] = []
        body.reserveCapacity(count * 200)
        body.append(91)
        for i in firstAlert..<(firstAlert + count) {
            if i > firstAlert { body.append(44) }
            let key = config.keyNumber(i)
            body.append(contentsOf: #"{"labels":{"alertname":"StormAlert","dedup":""#.utf8)
            body.append(contentsOf: config.keyPrefix.utf8)
            body.append(45)
            appendInt(key, &body)
            body.append(contentsOf: #"","service":"storm-svc-"#.utf8)
            appendInt(key % 10, &body)
            body.append(contentsOf: #"","severity":"warning"},"annotations":{"summary":"Storm alert "#.utf8)
            appendInt(key, &body)
            body.append(contentsOf: #""},"generatorURL":"http://aether-storm/"}"#.utf8)
        }
        body.append(93)
        out.append(contentsOf: "POST /api/v2/alerts HTTP/1.1\r\nHost: \(host)\r\nContent-Type: application/json\r\nContent-Length: ".utf8)
        appendInt(body.count, &out)
        out.append(contentsOf: "\r\n\r\n".utf8)
        out.append(contentsOf: body)
    }

    /// `POST /v2/enqueue` with one PagerDuty Events v2 trigger for alert `i`, keep-alive.
    static func pagerDutyRequest(_ i: Int, routingKey: String, config: StormConfiguration, host: String, into out: inout [UInt8]) {
        let key = config.keyNumber(i)
        var body: [UInt8] = []
        body.reserveCapacity(256)
        body.append(contentsOf: #"{"routing_key":""#.utf8)
        body.append(contentsOf: routingKey.utf8)
        body.append(contentsOf: #"","event_action":"trigger","dedup_key":""#.utf8)
        body.append(contentsOf: config.keyPrefix.utf8)
        body.append(45)
        appendInt(key, &body)
        body.append(contentsOf: #"","payload":{"summary":"Storm alert "#.utf8)
        appendInt(key, &body)
        body.append(contentsOf: #"","source":"aether-storm","severity":"warning","component":"storm"}}"#.utf8)
        out.append(contentsOf: "POST /v2/enqueue HTTP/1.1\r\nHost: \(host)\r\nContent-Type: application/json\r\nContent-Length: ".utf8)
        appendInt(body.count, &out)
        out.append(contentsOf: "\r\n\r\n".utf8)
        out.append(contentsOf: body)
    }

    /// Consumes one admin reply line starting at `from`; returns bytes used (0: incomplete).
    static func consumeAdminReply(_ b: UnsafeRawBufferPointer, from: Int, into c: StormConnection) -> Int {
        var nl = from
        while nl < b.count, b[nl] != 10 { nl += 1 }
        guard nl < b.count else { return 0 }
        let line = UnsafeRawBufferPointer(rebasing: b[from..<nl])
        let ok = contains(line, #""ok":true"#, within: 48)
        if ok {
            c.recordReply(ok: true, created: count(line, #""created":true"#), error: nil)
        } else {
            c.recordReply(ok: false, created: 0, error: String(decoding: line.prefix(300), as: UTF8.self))
        }
        return nl - from + 1
    }

    /// Consumes one HTTP response; returns bytes used (0: incomplete).
    static func consumeHTTPReply(_ b: UnsafeRawBufferPointer, from: Int, into c: StormConnection) -> Int {
        // On bytes: the generator must not spend the cores the node under test needs.
        var end = from
        while end + 3 < b.count, !(b[end] == 13 && b[end + 1] == 10 && b[end + 2] == 13 && b[end + 3] == 10) { end += 1 }
        guard end + 3 < b.count else { return 0 }
        var length = 0
        var i = from
        while i < end {
            // Each header line: look for "content-length:" case-insensitively at the line start.
            var lineEnd = i
            while lineEnd < end, b[lineEnd] != 13 { lineEnd += 1 }
            if lineEnd - i > 15, matchesLowercased(b, at: i, "content-length:") {
                var j = i + 15
                while j < lineEnd, b[j] == 32 { j += 1 }
                var n = 0
                while j < lineEnd, b[j] >= 48, b[j] <= 57 { n = n * 10 + Int(b[j] - 48); j += 1 }
                length = n
            }
            i = lineEnd + 2
        }
        let total = end + 4 - from + length
        guard from + total <= b.count else { return 0 }
        // "HTTP/1.1 NNN": the status is bytes 9..<12.
        var status = 0
        if end - from >= 12 { for k in (from + 9)..<(from + 12) { status = status * 10 + Int(b[k]) - 48 } }
        let ok = (200...299).contains(status)
        c.recordReply(ok: ok, created: 0, error: ok ? nil : String(decoding: UnsafeRawBufferPointer(rebasing: b[from..<min(end, from + 200)]), as: UTF8.self))
        return total
    }

    private static func matchesLowercased(_ b: UnsafeRawBufferPointer, at i: Int, _ word: StaticString) -> Bool {
        let w = UnsafeRawBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        for k in 0..<w.count {
            var x = b[i + k]
            if x >= 65 && x <= 90 { x += 32 }
            if x != w[k] { return false }
        }
        return true
    }

    static func contains(_ line: UnsafeRawBufferPointer, _ needle: StaticString, within limit: Int) -> Bool {
        count(UnsafeRawBufferPointer(rebasing: line.prefix(limit)), needle, max: 1) > 0
    }

    static func count(_ line: UnsafeRawBufferPointer, _ needle: StaticString, max: Int = .max) -> Int {
        let n = needle.utf8CodeUnitCount
        let p = needle.utf8Start
        guard line.count >= n else { return 0 }
        var found = 0
        var i = 0
        let first = p[0]
        while i <= line.count - n {
            if line[i] == first {
                var j = 1
                while j < n, line[i + j] == p[j] { j += 1 }
                if j == n {
                    found += 1
                    if found >= max { return found }
                    i += n
                    continue
                }
            }
            i += 1
        }
        return found
    }
}

extension Substring {
    func trimmingCharacters() -> Substring {
        var s = self
        while s.first == " " { s.removeFirst() }
        while s.last == " " || s.last == "\r" { s.removeLast() }
        return s
    }
}
