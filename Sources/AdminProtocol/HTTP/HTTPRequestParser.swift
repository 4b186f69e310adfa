/// Splits a byte stream into HTTP/1.1 requests (RFC 9112), incrementally and without IO.
///
/// Feed it whatever `read` returned; it hands back every request completed by that chunk, so
/// pipelined requests in one chunk come back together and a request split across chunks at any byte
/// boundary parses exactly as if it had arrived whole. Like ``LineFramer`` it buffers only an
/// unfinished line (bounded by the limits) plus the body of the current request.
///
/// The first error ends the stream: ``Output/error(_:_:)`` carries the requests completed before it
/// and the status to answer; every later `feed` returns the same error with no requests, because the
/// connection is to be closed. Leniencies: bare LF line endings, empty lines before a request line,
/// absolute-form targets (their path is used). Strictness: exactly one SP between request-line parts,
/// no whitespace before a header colon, no obs-fold, no bare CR or other control bytes in values.
public struct HTTPRequestParser: Sendable {
    /// Size limits; each one breached answers a specific status.
    public struct Limits: Sendable, Equatable {
        /// Longest request line (without its line ending); longer is 414.
        public var requestLineBytesMax: Int
        /// Most bytes in all header lines of a request together (without line endings; trailers of
        /// a chunked body count too); more is 431.
        public var headerBytesMax: Int
        /// Most header lines in a request (trailers included); more is 431.
        public var headerCountMax: Int
        /// Largest body, by `Content-Length` or by the sum of chunk sizes; larger is 413.
        public var bodyBytesMax: Int
        /// Longest chunk-size line, extensions included (without its line ending); longer is 400.
        public var chunkLineBytesMax: Int

        /// Creates limits; the defaults suit the admin API.
        /// - Parameters:
        ///   - requestLineBytesMax: Longest request line.
        ///   - headerBytesMax: Most header bytes per request.
        ///   - headerCountMax: Most header lines per request.
        ///   - bodyBytesMax: Largest body.
        ///   - chunkLineBytesMax: Longest chunk-size line.
        public init(
            requestLineBytesMax: Int = 8192,
            headerBytesMax: Int = 16384,
            headerCountMax: Int = 100,
            bodyBytesMax: Int = 1 << 20,
            chunkLineBytesMax: Int = 1024
        ) {
            self.requestLineBytesMax = requestLineBytesMax
            self.headerBytesMax = headerBytesMax
            self.headerCountMax = headerCountMax
            self.bodyBytesMax = bodyBytesMax
            self.chunkLineBytesMax = chunkLineBytesMax
        }
    }

    /// What one chunk of input produced.
    public enum Output: Equatable, Sendable {
        /// Zero or more complete requests, in order.
        case requests([HTTPRequest])
        /// The requests completed before the error, then the error; nothing after it is parsed.
        case error([HTTPRequest], HTTPParseError)
    }

    /// Where in a request the next byte belongs.
    enum State: Sendable {
        case requestLine
        case headers
        case body(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case failed(HTTPParseError)
    }

    /// What one step of parsing did.
    enum Step {
        case progress
        case needMore
    }

    /// The limits in force.
    public let limits: Limits
    var state: State = .requestLine
    var buffer: [UInt8] = []
    /// Index in `buffer` where the search for the next LF resumes.
    var scanFrom = 0
    /// The request being parsed (valid from the end of its request line).
    var head = HTTPRequestHead()
    var headerBytes = 0
    var headerCount = 0
    var body: [UInt8] = []
    /// The current request asked `Expect: 100-continue` and its head is complete: the server
    /// should answer `100 Continue` once (see `takeContinueRequest`).
    var continueWanted = false

    /// Creates a parser.
    /// - Parameter limits: The size limits.
    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Whether bytes of an unfinished request are buffered — a connection idle in this state for too
    /// long is a slow client (slowloris) and may be answered 408 and closed.
    public var hasPartialRequest: Bool {
        switch state {
        case .failed: return false
        case .requestLine: return !buffer.isEmpty
        default: return true
        }
    }

    /// Adds input and returns the requests it completed.
    /// - Parameter chunk: The bytes read; may be empty.
    /// - Returns: The completed requests, or those before an error and the error.
    public mutating func feed(_ chunk: UnsafeRawBufferPointer) -> Output {
        if case .failed(let error) = state { return .error([], error) }
        buffer.append(contentsOf: chunk)
        var requests: [HTTPRequest] = []
        var pos = 0
        do throws(HTTPParseError) {
            while try step(&pos, into: &requests) == .progress {}
        } catch {
            state = .failed(error)
            buffer = []
            scanFrom = 0
            return .error(requests, error)
        }
        buffer.removeFirst(pos)
        scanFrom = max(0, scanFrom - pos)
        return .requests(requests)
    }

    // MARK: - States

    /// Parses what the buffer holds from `pos` for the current state.
    private mutating func step(_ pos: inout Int, into requests: inout [HTTPRequest]) throws(HTTPParseError) -> Step {
        switch state {
        case .failed:
            return .needMore
        case .requestLine:
            guard let line = try nextLine(&pos, max: limits.requestLineBytesMax, kind: .requestLine) else {
                return .needMore
            }
            if line.isEmpty { return .progress }  // RFC 9112 §2.2: empty lines before a request line are ignored
            head = try HTTPRequestHead(requestLine: buffer[line])
            state = .headers
        case .headers:
            guard let line = try nextLine(&pos, max: limits.headerBytesMax - headerBytes, kind: .header) else {
                return .needMore
            }
            if line.isEmpty {
                try endOfHead(into: &requests)
            } else {
                try countHeaderLine(line)
                head.headers.append(try HTTPRequestHead.field(buffer[line]))
            }
        case .body(let remaining):
            let n = min(remaining, buffer.count - pos)
            if n == 0 { return .needMore }
            body.append(contentsOf: buffer[pos..<pos + n])
            pos += n
            state = .body(remaining: remaining - n)
            if n == remaining { complete(into: &requests) }
        case .chunkSize:
            guard let line = try nextLine(&pos, max: limits.chunkLineBytesMax, kind: .chunkSize) else {
                return .needMore
            }
            let size = try chunkSize(buffer[line])
            state = size == 0 ? .trailers : .chunkData(remaining: size)
        case .chunkData(let remaining):
            let n = min(remaining, buffer.count - pos)
            if n == 0 { return .needMore }
            body.append(contentsOf: buffer[pos..<pos + n])
            pos += n
            state = n == remaining ? .chunkDataEnd : .chunkData(remaining: remaining - n)
        case .chunkDataEnd:
            guard try nextLine(&pos, max: 0, kind: .chunkDataEnd) != nil else { return .needMore }
            state = .chunkSize
        case .trailers:
            guard let line = try nextLine(&pos, max: limits.headerBytesMax - headerBytes, kind: .header) else {
                return .needMore
            }
            if line.isEmpty {
                complete(into: &requests)
            } else {
                try countHeaderLine(line)
                _ = try HTTPRequestHead.field(buffer[line])  // trailers are checked, then ignored
            }
        }
        return .progress
    }

    /// Counts a complete header or trailer line against the limits.
    private mutating func countHeaderLine(_ line: Range<Int>) throws(HTTPParseError) {
        headerBytes += line.count
        headerCount += 1
        if headerCount > limits.headerCountMax {
            throw HTTPParseError(
                status: 431,
                message: "request has more than \(limits.headerCountMax) header lines"
            )
        }
    }

    /// At the empty line ending the head: decides how the body is framed.
    private mutating func endOfHead(into requests: inout [HTTPRequest]) throws(HTTPParseError) {
        let expectsContinue = head.minor >= 1 && head.headers.contains { $0.name.lowercased() == "expect" && $0.value.lowercased() == "100-continue" }
        switch try head.bodyFraming(bodyBytesMax: limits.bodyBytesMax) {
        case .none, .length(0):
            complete(into: &requests)
        case .length(let n):
            body.reserveCapacity(min(n, 1 << 16))  // a declared length is not yet a promise
            state = .body(remaining: n)
            continueWanted = expectsContinue
        case .chunked:
            state = .chunkSize
            continueWanted = expectsContinue
        }
    }

    /// Whether the request being read waits for `HTTP/1.1 100 Continue` before sending its body
    /// (`Expect: 100-continue`, e.g. curl with bodies over 1 KiB); true once per such request.
    public mutating func takeContinueRequest() -> Bool {
        defer { continueWanted = false }
        return continueWanted
    }

    /// Parses a chunk-size line, `hex-size [ws] [; extensions]`, and checks the running body size.
    private func chunkSize(_ line: ArraySlice<UInt8>) throws(HTTPParseError) -> Int {
        var i = line.startIndex
        var size = 0
        var overLimit = false
        while i < line.endIndex, let d = HTTPSyntax.hexValue(line[i]) {
            let (shifted, o1) = size.multipliedReportingOverflow(by: 16)
            let (next, o2) = shifted.addingReportingOverflow(d)
            if o1 || o2 || next > limits.bodyBytesMax { overLimit = true } else { size = next }
            i += 1
        }
        let digits = line[line.startIndex..<i]
        while i < line.endIndex, HTTPSyntax.isWhitespace(line[i]) { i += 1 }
        guard !digits.isEmpty, i == line.endIndex || line[i] == UInt8(ascii: ";") else {
            throw .badRequest("chunk size '\(HTTPSyntax.describe(line))' is not hexadecimal")
        }
        if overLimit || size > limits.bodyBytesMax - body.count {
            let shown = HTTPSyntax.describe(digits)
            throw HTTPParseError(
                status: 413,
                message: "chunked body is over the \(limits.bodyBytesMax)-byte limit (chunk size '\(shown)')"
            )
        }
        return size
    }

    /// Hands over the finished request and starts the next.
    private mutating func complete(into requests: inout [HTTPRequest]) {
        requests.append(head.request(body: body))
        continueWanted = false
        head = HTTPRequestHead()
        body = []
        headerBytes = 0
        headerCount = 0
        state = .requestLine
    }
}
