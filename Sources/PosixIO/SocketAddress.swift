#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 `HOST:PORT` as given in flags (`127.0.0.1:7400`, `localhost:7400`, `0.0.0.0:0`).
public struct SocketAddress: Hashable, Sendable, CustomStringConvertible {
    /// Dotted-quad host.
    public var host: String
    /// Port; 0 asks the kernel for a free one when binding.
    public var port: UInt16

    /// Creates an address.
    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT`.
    /// - Throws: a message naming the value and the expected shape.
    public init(parsing text: String) throws(AddressError) {
        guard let colon = text.lastIndex(of: ":") else {
            throw AddressError("address '\(text)' has no port; expected HOST:PORT such as 127.0.0.1:7400")
        }
        var host = String(text[..<colon])
        let portText = text[text.index(after: colon)...]
        guard let port = UInt16(portText) else {
            throw AddressError("port '\(portText)' in '\(text)' is not valid; expected 0-65535")
        }
        if host == "localhost" { host = "127.0.0.1" }
        if host.isEmpty { host = "0.0.0.0" }
        var probe = in_addr()
        guard inet_pton(AF_INET, host, &probe) == 1 else {
            throw AddressError("host '\(host)' in '\(text)' is not an IPv4 address; expected e.g. 127.0.0.1")
        }
        self.host = host
        self.port = port
    }

    /// Whether the host is a loopback address (127.0.0.0/8).
    public var isLoopback: Bool { host.hasPrefix("127.") }

    public var description: String { "\(host):\(port)" }

    func sockaddr() -> sockaddr_in {
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = port.bigEndian
        inet_pton(AF_INET, host, &a.sin_addr)
        return a
    }

    static func from(_ a: sockaddr_in) -> SocketAddress {
        var buf = [CChar](repeating: 0, count: 32)
        var addr = a.sin_addr
        inet_ntop(AF_INET, &addr, &buf, 32)
        let host = buf.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return SocketAddress(host: host, port: UInt16(bigEndian: a.sin_port))
    }
}

/// A malformed address.
public struct AddressError: Error, Sendable, CustomStringConvertible {
    /// What was wrong.
    public var message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Socket helpers.
public enum Socket {
    /// Ignores SIGPIPE process-wide so writes to closed sockets return EPIPE instead of killing us.
    public static func ignoreSIGPIPE() {
        signal(SIGPIPE, SIG_IGN)
    }

    /// A non-blocking listening socket bound to `address`; returns the fd and the bound address
    /// (with the real port when 0 was asked for).
    public static func listen(_ address: SocketAddress, backlog: Int32 = 1024) throws(SystemError) -> (Int32, SocketAddress) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .current("socket") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var a = address.sockaddr()
        let rc = withUnsafePointer(to: &a) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            let e = SystemError.current("bind", address.description)
            close(fd)
            throw e
        }
        guard Glibc.listen(fd, backlog) == 0 else {
            let e = SystemError.current("listen", address.description)
            close(fd)
            throw e
        }
        var bound = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &bound) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        return (fd, SocketAddress.from(bound))
    }

    /// A blocking TCP connection with a connect timeout (for the CLI and tests).
    public static func connect(_ address: SocketAddress, timeoutMillis: Int32) throws(SystemError) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw .current("socket") }
        var a = address.sockaddr()
        let rc = withUnsafePointer(to: &a) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if rc != 0 {
            guard errno == EINPROGRESS else {
                let e = SystemError.current("connect", address.description)
                close(fd)
                throw e
            }
            var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            let n = poll(&p, 1, timeoutMillis)
            var err: Int32 = 0
            var len = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len)
            if n <= 0 || err != 0 {
                close(fd)
                throw SystemError(errno: n == 0 ? ETIMEDOUT : (err != 0 ? err : errno), call: "connect", subject: address.description)
            }
        }
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK)
        setNoDelay(fd)
        return fd
    }

    /// Disables Nagle's algorithm (small request/response frames).
    public static func setNoDelay(_ fd: Int32) {
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Sets a receive timeout on a blocking socket.
    public static func setReceiveTimeout(_ fd: Int32, millis: Int) {
        var tv = timeval(tv_sec: millis / 1000, tv_usec: (millis % 1000) * 1000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Bounds how long a blocking write waits for the peer to read.
    public static func setSendTimeout(_ fd: Int32, millis: Int) {
        var tv = timeval(tv_sec: millis / 1000, tv_usec: (millis % 1000) * 1000)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Writes everything (blocking socket), retrying EINTR; MSG_NOSIGNAL so a closed peer is EPIPE.
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(SystemError) {
        var done = 0
        while done < bytes.count {
            let n = send(fd, bytes.baseAddress! + done, bytes.count - done, Int32(MSG_NOSIGNAL))
            if n < 0 {
                if errno == EINTR { continue }
                throw .current("send")
            }
            done += n
        }
    }

    /// Writes what fits without blocking (MSG_DONTWAIT), retrying EINTR; returns the bytes written
    /// (0 when the send buffer is full).
    public static func writeSome(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(SystemError) -> Int {
        var done = 0
        while done < bytes.count {
            let n = send(fd, bytes.baseAddress! + done, bytes.count - done, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { break }
                throw .current("send")
            }
            done += n
        }
        return done
    }

    /// Reads what is available (blocking); 0 at end of stream.
    public static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> Int {
        while true {
            let n = recv(fd, buffer.baseAddress!, buffer.count, 0)
            if n < 0 {
                if errno == EINTR { continue }
                throw .current("recv")
            }
            return n
        }
    }

    /// Closes a descriptor.
    public static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }
}
