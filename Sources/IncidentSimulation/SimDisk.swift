import IncidentCore
import IncidentStorage
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// An in-memory disk for log tests: writes are visible at once but only survive a `crash()` once
/// synced; directory changes only once the directory is synced. A crash keeps the file's unsynced
/// changes (writes and truncations, in the order they were made) up to a random one, and a random
/// prefix of that one — a torn last record, whether it was appended or written over zeros the file
/// already held — and `flipBit` damages synced bytes.
public final class SimDisk: LogFileSystem, @unchecked Sendable {
    // @unchecked: all state lives in `state`, a Mutex.
    final class File: @unchecked Sendable {
        // @unchecked: only touched while holding SimDisk.state's lock.
        var content: [UInt8] = []
        var synced: [UInt8] = []
        /// What changed since the last sync, in order.
        var unsynced: [Change] = []
    }

    enum Change {
        case write(offset: Int, bytes: [UInt8])
        case truncate(Int)

        func apply(to bytes: inout [UInt8]) {
            switch self {
            case .write(let offset, let data):
                let end = offset + data.count
                if bytes.count < end { bytes += [UInt8](repeating: 0, count: end - bytes.count) }
                bytes.replaceSubrange(offset..<end, with: data)
            case .truncate(let size):
                if bytes.count > size { bytes.removeLast(bytes.count - size) }
            }
        }
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
                if tear, !file.unsynced.isEmpty {
                    // Written back in order: the changes before `j` landed, and a prefix of change `j`.
                    let j = Int(rng.next() % UInt64(file.unsynced.count))
                    for c in file.unsynced[0..<j] { c.apply(to: &kept) }
                    switch file.unsynced[j] {
                    case .write(let offset, let bytes):
                        let k = Int(rng.next() % UInt64(bytes.count + 1))
                        Change.write(offset: offset, bytes: Array(bytes[0..<k])).apply(to: &kept)
                    case .truncate:
                        if rng.next() % 2 == 0 { file.unsynced[j].apply(to: &kept) }
                    }
                }
                file.content = kept
                file.synced = kept
                file.unsynced = []
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
                let change = Change.write(offset: offset, bytes: Array(bytes))
                change.apply(to: &file.content)
                file.unsynced.append(change)
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
                file.unsynced = []
                return false
            }
            if failed { throw .io("fdatasync \(name) failed: Input/output error (errno 5)") }
        }

        func truncate(to size: Int) throws(LogError) {
            disk.state.withLock { _ in
                Change.truncate(size).apply(to: &file.content)
                file.unsynced.append(.truncate(size))
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
