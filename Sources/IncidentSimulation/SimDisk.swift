import IncidentCore
import IncidentStorage
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// An in-memory disk for log tests: writes are visible at once but only survive a `crash()` once
/// synced; directory changes only once the directory is synced. A crash can keep any prefix of the
/// unsynced bytes (a torn last record), and `flipBit` damages synced bytes.
public final class SimDisk: LogFileSystem, @unchecked Sendable {
    // @unchecked: all state lives in `state`, a Mutex.
    final class File: @unchecked Sendable {
        // @unchecked: only touched while holding SimDisk.state's lock.
        var content: [UInt8] = []
        var synced: [UInt8] = []
    }

    struct State {
        var names: [String: File] = [:]
        var durableNames: [String: File] = [:]
        var failWrites = false
        var writes = 0
        var syncs = 0
    }

    let state = Mutex(State())
    /// How long each file sync blocks its caller, like a real disk's flush (0: returns at once).
    let syncMicros: UInt32

    /// An empty disk whose syncs take `syncMicros` microseconds.
    public init(syncMicros: UInt32 = 0) {
        self.syncMicros = syncMicros
    }

    /// Number of file syncs so far.
    public var syncCount: Int { state.withLock { $0.syncs } }

    /// Makes every later write and sync fail with an I/O error (a dying disk).
    public func failAllWrites() { state.withLock { $0.failWrites = true } }

    /// Simulates power loss: directory entries revert to the last directory sync, and each file keeps
    /// its synced bytes plus a random-length prefix of its unsynced bytes (`tear`), or none.
    public func crash(rng: inout SeededRandom, tear: Bool = true) {
        state.withLock { s in
            s.names = s.durableNames
            for file in Set(s.names.values.map { ObjectIdentifier($0) }).compactMap({ id in
                s.names.values.first { ObjectIdentifier($0) == id }
            }) {
                var kept = file.synced
                if tear, file.content.count > file.synced.count,
                    file.content.starts(with: file.synced)
                {
                    let extra = file.content.count - file.synced.count
                    let k = Int(rng.next() % UInt64(extra + 1))
                    kept += file.content[file.synced.count..<(file.synced.count + k)]
                }
                file.content = kept
                file.synced = kept
            }
            s.failWrites = false
        }
    }

    /// Flips one bit of a file's stored bytes (synced and current).
    public func flipBit(_ name: String, byte offset: Int, bit: Int = 0) {
        state.withLock { s in
            guard let f = s.names[name], offset < f.content.count else { return }
            f.content[offset] ^= UInt8(1 << bit)
            if offset < f.synced.count { f.synced[offset] ^= UInt8(1 << bit) }
        }
    }

    /// The current size of a file, or nil.
    public func size(of name: String) -> Int? {
        state.withLock { $0.names[name]?.content.count }
    }

    // MARK: - LogFileSystem

    public func list() throws(LogError) -> [String] {
        state.withLock { $0.names.keys.sorted() }
    }

    public func open(_ name: String, create: Bool) throws(LogError) -> any LogFileHandle {
        let file: File? = state.withLock { s in
            if let f = s.names[name] { return f }
            guard create else { return nil }
            let f = File()
            s.names[name] = f
            return f
        }
        guard let file else { throw .io("open \(name) failed: no such file") }
        return Handle(disk: self, file: file, name: name)
    }

    public func read(_ name: String) throws(LogError) -> [UInt8] {
        let bytes: [UInt8]? = state.withLock { $0.names[name]?.content }
        guard let bytes else { throw .io("read \(name) failed: no such file") }
        return bytes
    }

    public func remove(_ name: String) throws(LogError) {
        let ok = state.withLock { $0.names.removeValue(forKey: name) != nil }
        if !ok { throw .io("unlink \(name) failed: no such file") }
    }

    public func rename(_ from: String, to: String) throws(LogError) {
        let ok: Bool = state.withLock { s in
            guard let f = s.names.removeValue(forKey: from) else { return false }
            s.names[to] = f
            return true
        }
        if !ok { throw .io("rename \(from) failed: no such file") }
    }

    public func syncDirectory() throws(LogError) {
        state.withLock { $0.durableNames = $0.names }
    }

    final class Handle: LogFileHandle, @unchecked Sendable {
        // @unchecked: delegates every access to SimDisk's Mutex.
        let disk: SimDisk
        let file: File
        let name: String
        init(disk: SimDisk, file: File, name: String) {
            self.disk = disk
            self.file = file
            self.name = name
        }

        func size() throws(LogError) -> Int { disk.state.withLock { _ in file.content.count } }

        func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(LogError) {
            let failed: Bool = disk.state.withLock { s in
                if s.failWrites { return true }
                s.writes += 1
                if file.content.count < offset { file.content += [UInt8](repeating: 0, count: offset - file.content.count) }
                let end = offset + bytes.count
                if file.content.count < end { file.content += [UInt8](repeating: 0, count: end - file.content.count) }
                file.content.replaceSubrange(offset..<end, with: bytes)
                return false
            }
            if failed { throw .io("pwrite \(name) failed: Input/output error (errno 5)") }
        }

        func sync() throws(LogError) {
            if disk.syncMicros > 0 { usleep(disk.syncMicros) }
            let failed: Bool = disk.state.withLock { s in
                if s.failWrites { return true }
                s.syncs += 1
                file.synced = file.content
                return false
            }
            if failed { throw .io("fdatasync \(name) failed: Input/output error (errno 5)") }
        }

        func truncate(to size: Int) throws(LogError) {
            disk.state.withLock { _ in
                if file.content.count > size { file.content.removeLast(file.content.count - size) }
            }
        }

        func read(at offset: Int, count: Int) throws(LogError) -> [UInt8] {
            disk.state.withLock { _ in
                guard offset < file.content.count else { return [] }
                return Array(file.content[offset..<min(file.content.count, offset + count)])
            }
        }
    }
}
