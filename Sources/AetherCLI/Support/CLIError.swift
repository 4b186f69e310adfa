import AdminProtocol

/// A CLI failure with its exit code (SPEC §6): 1 server error, 2 usage, 3 cannot connect.
public struct CLIError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure.
    public enum Kind: Sendable {
        /// Bad flags or arguments (exit 2); `usage` is printed after the message.
        case usage(String)
        /// The node answered with an error (exit 1).
        case server(AdminError)
        /// No node answered (exit 3).
        case connect(String)
        /// Something else failed locally (exit 1).
        case failed(String)
    }

    /// The kind.
    public var kind: Kind

    /// Creates an error.
    public init(_ kind: Kind) {
        self.kind = kind
    }

    /// A usage error.
    public static func usage(_ message: String, _ usage: String = "") -> CLIError { CLIError(.usage(message + (usage.isEmpty ? "" : "\n" + usage))) }

    /// The process exit code.
    public var exitCode: Int32 {
        switch kind {
        case .usage: 2
        case .server, .failed: 1
        case .connect: 3
        }
    }

    public var description: String {
        switch kind {
        case .usage(let m): "error: \(m)"
        case .server(let e): "error: \(e.message) (\(e.code.wire))"
        case .connect(let m): "error: \(m)"
        case .failed(let m): "error: \(m)"
        }
    }
}
