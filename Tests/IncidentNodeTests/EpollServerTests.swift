import Glibc
import PosixIO
import Synchronization
import Testing

/// `EpollServer.send` writes from the caller's thread when it can and hands the rest to the loop;
/// replies must arrive whole and in order either way.
@Suite("Epoll server replies")
struct EpollServerTests {
    /// Records accepted connections; ignores input.
    final class Recorder: EpollServerDelegate, Sendable {
        let ids = Mutex<[EpollServer.ConnectionID]>([])
        func accepted(_ id: EpollServer.ConnectionID, server: EpollServer) { ids.withLock { $0.append(id) } }
        func received(_ id: EpollServer.ConnectionID, _ bytes: UnsafeRawBufferPointer, server: EpollServer) {}
        func endOfInput(_ id: EpollServer.ConnectionID, server: EpollServer) {}
        func closed(_ id: EpollServer.ConnectionID, server: EpollServer) {}
        func tick(server: EpollServer) {}
        func stopped(server: EpollServer) {}
    }

    @Test("replies stay in order while the client reads slowly (direct writes and loop-buffered ones mixed)")
    func orderUnderBackPressure() throws {
        let server = try EpollServer(address: try SocketAddress(parsing: "127.0.0.1:0"))
        let recorder = Recorder()
        server.start(delegate: recorder, name: "test-epoll")
        defer { server.stop() }
        let fd = try Socket.connect(server.address, timeoutMillis: 2000)
        defer { close(fd) }
        Socket.setReceiveTimeout(fd, millis: 10_000)
        var id: EpollServer.ConnectionID?
        for _ in 0..<200 where id == nil {
            id = recorder.ids.withLock { $0.first }
            if id == nil { usleep(5_000) }
        }
        let connection = try #require(id)

        // 4,000 replies of 8 KiB (32 MiB, far more than loopback's socket buffers hold): each starts with
        // its number, and the last one closes the connection.
        let count = 4_000
        let size = 8192
        startThread(name: "test-sender") {
            for n in 0..<count {
                var reply = [UInt8](repeating: UInt8(truncatingIfNeeded: n), count: size)
                withUnsafeBytes(of: UInt32(n).littleEndian) { reply.replaceSubrange(0..<4, with: $0) }
                server.send(connection, reply, close: n == count - 1)
            }
        }

        var received: [UInt8] = []
        received.reserveCapacity(count * size)
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            if received.count < 8 << 20 { usleep(1_000) }  // read slowly at first: the socket fills
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            received.append(contentsOf: buffer[0..<n])
        }
        #expect(received.count == count * size)
        var outOfOrder = 0
        for n in 0..<min(count, received.count / size) {
            let number = received.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: n * size, as: UInt32.self) }
            let filler = received[n * size + size - 1]
            if UInt32(littleEndian: number) != UInt32(n) || filler != UInt8(truncatingIfNeeded: n) { outOfOrder += 1 }
        }
        #expect(outOfOrder == 0)
    }

    @Test("a send to a closed connection is dropped quietly")
    func sendAfterClose() throws {
        let server = try EpollServer(address: try SocketAddress(parsing: "127.0.0.1:0"))
        let recorder = Recorder()
        server.start(delegate: recorder, name: "test-epoll")
        defer { server.stop() }
        let fd = try Socket.connect(server.address, timeoutMillis: 2000)
        var id: EpollServer.ConnectionID?
        for _ in 0..<200 where id == nil {
            id = recorder.ids.withLock { $0.first }
            if id == nil { usleep(5_000) }
        }
        let connection = try #require(id)
        server.send(connection, Array("bye".utf8), close: true)
        var buffer = [UInt8](repeating: 0, count: 16)
        Socket.setReceiveTimeout(fd, millis: 5_000)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        #expect(n == 3)
        close(fd)
        for _ in 0..<100 { server.send(connection, Array("late".utf8)) }  // must not crash or write elsewhere
    }
}
