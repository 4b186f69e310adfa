#if canImport(Glibc)
import Glibc
#endif

/// A failed system call: which call, on what, and the errno it set.
public struct SystemError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The errno value.
    public var errno: Int32
    /// The call that failed, e.g. `open`.
    public var call: String
    /// What it was called on (a path or address), if anything.
    public var subject: String

    /// Creates an error from an errno value.
    public init(errno: Int32, call: String, subject: String = "") {
        self.errno = errno
        self.call = call
        self.subject = subject
    }

    /// The error for the calling thread's current errno.
    public static func current(_ call: String, _ subject: String = "") -> SystemError {
        SystemError(errno: Glibc.errno, call: call, subject: subject)
    }

    /// `strerror` text.
    public var reason: String { String(cString: strerror(errno)) }

    public var description: String {
        subject.isEmpty ? "\(call) failed: \(reason) (errno \(errno))" : "\(call) \(subject) failed: \(reason) (errno \(errno))"
    }
}
