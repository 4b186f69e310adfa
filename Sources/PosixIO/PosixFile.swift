#if canImport(Glibc)
import Glibc
#endif

/// An open file descriptor for a regular file, with the few operations the log needs.
///
/// Not thread-safe: one owner at a time (the log writer thread, or a reader during recovery).
public final class PosixFile: @unchecked Sendable {
    // @unchecked: the descriptor is an Int32 used by a single owner at a time; see class comment.
    /// The descriptor.
    public let fd: Int32
    /// The path it was opened with.
    public let path: String

    /// Opens `path` for reading and appending, creating it when `create` is set.
    /// - Throws: `SystemError` naming the path.
    public init(path: String, create: Bool, readOnly: Bool = false) throws(SystemError) {
        var flags = readOnly ? O_RDONLY : O_RDWR
        flags |= O_CLOEXEC
        if create { flags |= O_CREAT }
        let fd = open(path, flags, 0o644)
        guard fd >= 0 else { throw .current("open", path) }
        self.fd = fd
        self.path = path
    }

    deinit { close(fd) }

    /// The current size in bytes.
    public func size() throws(SystemError) -> Int {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .current("fstat", path) }
        return Int(st.st_size)
    }

    /// Writes all of `bytes` at `offset` (retrying short writes and EINTR).
    public func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(SystemError) {
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            if n < 0 {
                if Glibc.errno == EINTR { continue }
                throw .current("pwrite", path)
            }
            done += n
        }
    }

    /// Reads up to `count` bytes at `offset`.
    public func read(at offset: Int, count: Int) throws(SystemError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = out.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, count - done, off_t(offset + done)) }
            if n < 0 {
                if Glibc.errno == EINTR { continue }
                throw .current("pread", path)
            }
            if n == 0 { break }
            done += n
        }
        out.removeLast(count - done)
        return out
    }

    /// Reads the whole file.
    public func readAll() throws(SystemError) -> [UInt8] {
        try read(at: 0, count: try size())
    }

    /// Reads standard input to its end (at most `limit` bytes).
    public static func readStandardInput(limit: Int = 16 << 20) throws(SystemError) -> [UInt8] {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while out.count < limit {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(0, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .current("read", "standard input")
            }
            if n == 0 { break }
            out.append(contentsOf: chunk[0..<n])
        }
        return out
    }

    /// Flushes data (and the size) to stable storage.
    public func sync() throws(SystemError) {
        while fdatasync(fd) != 0 {
            if Glibc.errno == EINTR { continue }
            throw .current("fdatasync", path)
        }
    }

    /// Cuts the file to `size` bytes.
    public func truncate(to size: Int) throws(SystemError) {
        guard ftruncate(fd, off_t(size)) == 0 else { throw .current("ftruncate", path) }
    }
}

/// Directory and path operations.
public enum PosixFS {
    /// Creates a directory and its parents (like `mkdir -p`).
    public static func makeDirectories(_ path: String) throws(SystemError) {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, 0o755) != 0 && Glibc.errno != EEXIST { throw .current("mkdir", current) }
        }
    }

    /// Names of the entries in a directory (no `.`/`..`).
    public static func list(_ path: String) throws(SystemError) -> [String] {
        guard let dir = opendir(path) else { throw .current("opendir", path) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// Removes a file.
    public static func remove(_ path: String) throws(SystemError) {
        guard unlink(path) == 0 else { throw .current("unlink", path) }
    }

    /// Renames atomically.
    public static func rename(_ from: String, _ to: String) throws(SystemError) {
        guard Glibc.rename(from, to) == 0 else { throw .current("rename", "\(from) → \(to)") }
    }

    /// fsyncs a directory so created, renamed and removed entries are durable.
    public static func syncDirectory(_ path: String) throws(SystemError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw .current("open", path) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw .current("fsync", path) }
    }

    /// Whether a path exists.
    public static func exists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    /// Whether a path is a directory that this process can write to.
    public static func isWritableDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR && access(path, W_OK) == 0
    }
}

extension PosixFS {
    /// Removes a file or a directory tree (like `rm -rf`); missing paths are fine.
    public static func removeTree(_ path: String) {
        var st = stat()
        guard lstat(path, &st) == 0 else { return }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            for name in (try? list(path)) ?? [] { removeTree(path + "/" + name) }
            rmdir(path)
        } else {
            unlink(path)
        }
    }
}
