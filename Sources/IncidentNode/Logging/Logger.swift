import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A small structured logger shaped like swift-log's: a label, a level, a constant message and
/// metadata. Passed in through `init`, never global. Lines go to a `LogHandler` (stderr in
/// production, memory in tests).
public struct Logger: Sendable {
    /// Severity of a log line.
    public enum Level: Int, Sendable, Comparable, CaseIterable {
        case debug = 0, info, warn, error

        /// Parses `debug|info|warn|error`.
        public init?(parsing text: String) {
            switch text.lowercased() {
            case "debug": self = .debug
            case "info": self = .info
            case "warn", "warning": self = .warn
            case "error": self = .error
            default: return nil
            }
        }

        var name: String {
            switch self {
            case .debug: "debug"
            case .info: "info"
            case .warn: "warn"
            case .error: "error"
            }
        }

        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// Where lines go.
    public let handler: any LogHandler
    /// Subsystem label, e.g. `aether.wal`.
    public let label: String
    /// Lines below this level are dropped.
    public let level: Level

    /// Creates a logger.
    public init(label: String, level: Level = .info, handler: any LogHandler = StderrLogHandler()) {
        self.label = label
        self.level = level
        self.handler = handler
    }

    /// The same handler and level under another label.
    public func child(_ label: String) -> Logger { Logger(label: label, level: level, handler: handler) }

    /// Logs at `debug`.
    public func debug(_ message: @autoclosure () -> String, metadata: @autoclosure () -> [String: String] = [:]) {
        log(.debug, message(), metadata())
    }
    /// Logs at `info`.
    public func info(_ message: @autoclosure () -> String, metadata: @autoclosure () -> [String: String] = [:]) {
        log(.info, message(), metadata())
    }
    /// Logs at `warn`.
    public func warn(_ message: @autoclosure () -> String, metadata: @autoclosure () -> [String: String] = [:]) {
        log(.warn, message(), metadata())
    }
    /// Logs at `error`.
    public func error(_ message: @autoclosure () -> String, metadata: @autoclosure () -> [String: String] = [:]) {
        log(.error, message(), metadata())
    }

    private func log(_ l: Level, _ message: @autoclosure () -> String, _ metadata: @autoclosure () -> [String: String]) {
        guard l >= level else { return }
        handler.write(level: l, label: label, message: message(), metadata: metadata())
    }
}

/// Receives log lines.
public protocol LogHandler: Sendable {
    /// Writes one line.
    func write(level: Logger.Level, label: String, message: String, metadata: [String: String])
}

/// Writes `time level label: message key=value …` lines to stderr.
public struct StderrLogHandler: LogHandler {
    /// Creates the handler.
    public init() {}

    public func write(level: Logger.Level, label: String, message: String, metadata: [String: String]) {
        var line = "\(IncidentCoreTime.nowRFC3339()) \(level.name) \(label): \(message)"
        for (k, v) in metadata.sorted(by: { $0.key < $1.key }) { line += " \(k)=\(v)" }
        line += "\n"
        var bytes = Array(line.utf8)
        _ = bytes.withUnsafeMutableBytes { Glibc.write(2, $0.baseAddress, $0.count) }
    }
}

/// Keeps lines in memory (tests).
public final class MemoryLogHandler: LogHandler {
    /// The lines written so far.
    public let lines = Mutex<[String]>([])

    /// Creates an empty handler.
    public init() {}

    public func write(level: Logger.Level, label: String, message: String, metadata: [String: String]) {
        lines.withLock { $0.append("\(level.name) \(label): \(message) \(metadata.sorted { $0.key < $1.key })") }
    }
}
