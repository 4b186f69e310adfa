import PosixIO

/// The files the log lives in, behind a protocol so tests can swap in a simulated disk that loses
/// unsynced writes, tears records and flips bits (`SimDisk`).
///
/// All names are plain file names inside one directory.
public protocol LogFileSystem: Sendable {
    /// Names of the files, sorted.
    func list() throws(LogError) -> [String]
    /// Opens (or creates) a file for appending.
    func open(_ name: String, create: Bool) throws(LogError) -> any LogFileHandle
    /// The whole content of a file.
    func read(_ name: String) throws(LogError) -> [UInt8]
    /// Deletes a file.
    func remove(_ name: String) throws(LogError)
    /// Renames atomically (replacing the target).
    func rename(_ from: String, to: String) throws(LogError)
    /// Makes creations, renames and removals durable.
    func syncDirectory() throws(LogError)
}

/// An open file that the log appends to.
public protocol LogFileHandle: AnyObject, Sendable {
    /// Current size.
    func size() throws(LogError) -> Int
    /// Writes at an offset (the log only ever writes at the end).
    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(LogError)
    /// Flushes to stable storage.
    func sync() throws(LogError)
    /// Cuts the file.
    func truncate(to size: Int) throws(LogError)
    /// Reads a range.
    func read(at offset: Int, count: Int) throws(LogError) -> [UInt8]
}

/// The real file system, in one directory.
public struct PosixLogFileSystem: LogFileSystem {
    /// The directory.
    public let directory: String

    /// Uses `directory`, creating it if needed.
    /// - Throws: `LogError.io` when the directory cannot be created or written.
    public init(directory: String) throws(LogError) {
        self.directory = directory
        do {
            try PosixFS.makeDirectories(directory)
        } catch {
            throw .io(error.description)
        }
        guard PosixFS.isWritableDirectory(directory) else {
            throw .io("data directory '\(directory)' is not a writable directory")
        }
    }

    private func path(_ name: String) -> String { directory + "/" + name }

    public func list() throws(LogError) -> [String] {
        do { return try PosixFS.list(directory) } catch { throw .io(error.description) }
    }

    public func open(_ name: String, create: Bool) throws(LogError) -> any LogFileHandle {
        do { return PosixLogFile(file: try PosixFile(path: path(name), create: create)) } catch {
            throw .io(error.description)
        }
    }

    public func read(_ name: String) throws(LogError) -> [UInt8] {
        do { return try PosixFile(path: path(name), create: false, readOnly: true).readAll() } catch {
            throw .io(error.description)
        }
    }

    public func remove(_ name: String) throws(LogError) {
        do { try PosixFS.remove(path(name)) } catch { throw .io(error.description) }
    }

    public func rename(_ from: String, to: String) throws(LogError) {
        do { try PosixFS.rename(path(from), path(to)) } catch { throw .io(error.description) }
    }

    public func syncDirectory() throws(LogError) {
        do { try PosixFS.syncDirectory(directory) } catch { throw .io(error.description) }
    }
}

final class PosixLogFile: LogFileHandle {
    let file: PosixFile
    init(file: PosixFile) { self.file = file }

    func size() throws(LogError) -> Int {
        do { return try file.size() } catch { throw .io(error.description) }
    }
    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(LogError) {
        do { try file.write(bytes, at: offset) } catch { throw .io(error.description) }
    }
    func sync() throws(LogError) {
        do { try file.sync() } catch { throw .io(error.description) }
    }
    func truncate(to size: Int) throws(LogError) {
        do { try file.truncate(to: size) } catch { throw .io(error.description) }
    }
    func read(at offset: Int, count: Int) throws(LogError) -> [UInt8] {
        do { return try file.read(at: offset, count: count) } catch { throw .io(error.description) }
    }
}
