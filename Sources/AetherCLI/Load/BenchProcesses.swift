import PosixIO

#if canImport(Glibc)
import Glibc
#endif

/// Starts and stops the processes benchmarks measure: `aetherd` (reading its ready line for the
/// admin address) and Prometheus Alertmanager (polling its readiness endpoint).
enum BenchProcesses {
    /// A started node.
    struct Node {
        let process: ChildProcess
        let admin: SocketAddress
        /// The bound HTTP address.
        let http: SocketAddress
        /// The bound gossip address.
        let gossip: SocketAddress
        /// Milliseconds from spawn to the ready line.
        let readyMillis: Double
    }

    /// The directory the running `aether` binary lives in.
    static func binaryDirectory() -> String {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, 4095)
        guard n > 0 else { return "." }
        let path = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)])
    }

    /// A fresh temporary directory.
    static func tempDirectory(_ label: String) throws(CLIError) -> String {
        var template = Array("/tmp/aether-bench-\(label)-XXXXXX".utf8CString)
        guard let p = mkdtemp(&template) else { throw CLIError(.failed("cannot create a temp directory: \(SystemError.current("mkdtemp"))")) }
        return String(cString: p)
    }

    /// Starts `aetherd` on an ephemeral admin port and waits for its ready line.
    static func startNode(_ binary: String, dataDir: String, id: String = "bench", extra: [String] = [], logPath: String) throws(CLIError) -> Node {
        let t0 = monotonicNanos()
        let p: ChildProcess
        do {
            p = try ChildProcess(path: binary, arguments: ["--node-id", id, "--data-dir", dataDir, "--admin", "127.0.0.1:0", "--http", "127.0.0.1:0", "--gossip", "127.0.0.1:0"] + extra, stderrPath: logPath)
        } catch {
            throw CLIError(.failed("cannot start \(binary): \(error) (build it with `swift build -c release`, or pass --aetherd PATH)"))
        }
        guard let line = p.readLine(timeoutMillis: 120_000), line.hasPrefix("aetherd ready") else {
            p.kill9()
            throw CLIError(.failed("aetherd did not print its ready line; see \(logPath)"))
        }
        let ms = Double(monotonicNanos() - t0) / 1e6
        guard let field = line.split(separator: " ").first(where: { $0.hasPrefix("admin=") }),
            let admin = try? SocketAddress(parsing: String(field.dropFirst(6))),
            let gfield = line.split(separator: " ").first(where: { $0.hasPrefix("gossip=") }),
            let gossip = try? SocketAddress(parsing: String(gfield.dropFirst(7))),
            let hfield = line.split(separator: " ").first(where: { $0.hasPrefix("http=") }),
            let http = try? SocketAddress(parsing: String(hfield.dropFirst(5)))
        else {
            p.kill9()
            throw CLIError(.failed("cannot read the admin, http and gossip addresses from '\(line)'"))
        }
        return Node(process: p, admin: admin, http: http, gossip: gossip, readyMillis: ms)
    }

    /// Stops a node with SIGTERM and waits.
    static func stop(_ node: Node) {
        node.process.signal(SIGTERM)
        node.process.wait()
    }

    /// Starts an Alertmanager on a free loopback port: alone, or (`gossip` set) a member of an HA
    /// cluster gossiping on `gossip` and joining through `peers`.
    static func startAlertmanager(
        _ binary: String, dir: String, gossip: SocketAddress? = nil, peers: [SocketAddress] = []
    ) throws(CLIError) -> (ChildProcess, SocketAddress) {
        let port = freePort()
        let clusterArguments =
            gossip.map { ["--cluster.listen-address=\($0)"] + peers.map { "--cluster.peer=\($0)" } } ?? ["--cluster.listen-address="]
        let config = "\(dir)/alertmanager.yml"
        let yaml = "route:\n  receiver: 'null'\n  group_by: ['dedup']\nreceivers:\n  - name: 'null'\n"
        guard let f = fopen(config, "w") else { throw CLIError(.failed("cannot write \(config)")) }
        fputs(yaml, f)
        fclose(f)
        let address = SocketAddress(host: "127.0.0.1", port: port)
        let p: ChildProcess
        do {
            p = try ChildProcess(
                path: binary,
                arguments: ["--config.file=\(config)", "--storage.path=\(dir)/data", "--web.listen-address=\(address)", "--log.level=warn"] + clusterArguments,
                stderrPath: "\(dir)/alertmanager.log")
        } catch {
            throw CLIError(.failed("cannot start \(binary): \(error) (install it with `apt-get install prometheus-alertmanager`, or pass --skip-alertmanager)"))
        }
        let deadline = monotonicNanos() + 30_000_000_000
        while monotonicNanos() < deadline {
            if httpStatus(address, path: "/-/ready") == 200 { return (p, address) }
            usleep(100_000)
        }
        p.kill9()
        throw CLIError(.failed("Alertmanager did not become ready; see \(dir)/alertmanager.log"))
    }

    /// A port the kernel says is free right now.
    static func freePort() -> UInt16 {
        guard let (fd, bound) = try? Socket.listen(SocketAddress(host: "127.0.0.1", port: 0)) else { return 19093 }
        Socket.close(fd)
        return bound.port
    }

    /// The status code of a GET, or 0.
    static func httpStatus(_ address: SocketAddress, path: String) -> Int {
        guard let fd = try? Socket.connect(address, timeoutMillis: 500) else { return 0 }
        defer { Socket.close(fd) }
        Socket.setReceiveTimeout(fd, millis: 1000)
        let req = Array("GET \(path) HTTP/1.1\r\nHost: \(address)\r\nConnection: close\r\n\r\n".utf8)
        guard (try? req.withUnsafeBytes { try Socket.writeAll(fd, $0) }) != nil else { return 0 }
        var buf = [UInt8](repeating: 0, count: 256)
        guard let n = try? buf.withUnsafeMutableBytes({ try Socket.read(fd, into: $0) }), n > 12 else { return 0 }
        return Int(String(decoding: buf[9..<12], as: UTF8.self)) ?? 0
    }

    /// Removes a directory tree.
    static func removeTree(_ path: String) {
        guard path.hasPrefix("/tmp/aether-bench-") else { return }
        PosixFS.removeTree(path)
    }
}
