/// Why the log cannot go on. Corruption is an operating error, not a programmer error: it is
/// thrown, reported with where it is, and the node refuses to serve rather than serve wrong state.
public enum LogError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A system call failed.
    case io(String)
    /// A record in the middle of the log failed its checksum or is malformed.
    case corrupt(file: String, offset: Int, reason: String)
    /// The log was stopped, or failed earlier and accepts no more writes.
    case closed(String)
    /// One record was larger than the format allows; nothing was written and the log goes on.
    case recordTooLarge(bytes: Int, limit: Int)

    public var description: String {
        switch self {
        case .io(let m): "log I/O error: \(m)"
        case .corrupt(let file, let offset, let reason):
            "log corrupt in \(file) at byte \(offset): \(reason); refusing to serve possibly wrong state "
                + "(restore the data dir from a backup; see Docs/operations.md, 'Corruption')"
        case .closed(let m): "log closed: \(m)"
        case .recordTooLarge(let bytes, let limit): "record of \(bytes) bytes exceeds the log's limit of \(limit) bytes"
        }
    }
}
