import AdminProtocol
import AetherJSON
import PosixIO

/// A blocking admin-protocol client: one connection, one request at a time (the CLI), or many
/// pipelined requests (`send` then `receive`).
public final class AdminClient {
    /// The node's address.
    public let address: SocketAddress
    let fd: Int32
    let token: String?
    private var framer = LineFramer(lineBytesMax: 256 << 20)
    private var pending: [[UInt8]] = []
    private var nextID: Int64 = 1
    private var buffer = [UInt8](repeating: 0, count: 1 << 16)

    /// Connects.
    /// - Throws: `CLIError` of kind `.connect` with a message saying what to do.
    public init(address: SocketAddress, token: String?, timeoutMillis: Int32 = 3000) throws(CLIError) {
        self.address = address
        self.token = token
        do {
            fd = try Socket.connect(address, timeoutMillis: timeoutMillis)
        } catch {
            throw CLIError(.connect("cannot connect to aetherd at \(address): \(error.reason) — is it running? start one with `aetherd`, or pass --node HOST:PORT"))
        }
        Socket.setReceiveTimeout(fd, millis: 120_000)
    }

    deinit { Socket.close(fd) }

    /// Sends one request and waits for its reply.
    /// - Throws: `.server` for an error reply, `.connect` when the connection breaks.
    public func call(_ op: String, _ args: JSONObject = JSONObject()) throws(CLIError) -> JSONValue {
        let id = nextID
        nextID += 1
        try send(AdminRequest(id: .int(id), op: op, args: args, token: token).encoded)
        let line = try receiveLine()
        guard let parsed = AdminResponse.parse(line) else {
            throw CLIError(.failed("the node at \(address) sent a reply that is not a protocol response"))
        }
        switch parsed.outcome {
        case .success(let v): return v
        case .failure(let e): throw CLIError(.server(e))
        }
    }

    /// Writes one request line (the newline is added).
    public func send(_ line: [UInt8]) throws(CLIError) {
        var bytes = line
        bytes.append(10)
        do { try bytes.withUnsafeBytes { try Socket.writeAll(fd, $0) } } catch {
            throw CLIError(.connect("lost the connection to \(address): \((error as? SystemError)?.reason ?? "\(error)")"))
        }
    }

    /// Reads the next reply line.
    public func receiveLine() throws(CLIError) -> [UInt8] {
        while pending.isEmpty {
            let n: Int
            do { n = try buffer.withUnsafeMutableBytes { try Socket.read(fd, into: $0) } } catch {
                throw CLIError(.connect("no reply from \(address): \((error as? SystemError)?.reason ?? "\(error)")"))
            }
            if n == 0 { throw CLIError(.connect("\(address) closed the connection")) }
            switch buffer.withUnsafeBytes({ framer.feed(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }) {
            case .lines(let lines): pending += lines
            case .tooLarge: throw CLIError(.failed("reply from \(address) is too large"))
            }
        }
        return pending.removeFirst()
    }
}
