import AetherJSON
import PosixIO

/// Options every command accepts.
public struct GlobalOptions: Sendable {
    /// The node to talk to (`--node`, else `AETHER_NODE`, else 127.0.0.1:7400).
    public var node = "127.0.0.1:7400"
    /// Admin token (`--token`, else `AETHER_TOKEN`).
    public var token: String?
    /// Print raw JSON results.
    public var json = false
}

/// One command: its words, its options, and what it does.
public struct CommandSpec: Sendable {
    /// `["incident", "detect"]`.
    public let path: [String]
    /// One line for the command list.
    public let summary: String
    /// Options that take a value.
    public let values: [String]
    /// Options that are switches.
    public let flags: [String]
    /// Options that may repeat (`--label k=v --label k2=v2`).
    public let repeating: [String]
    /// How many positional arguments it takes.
    public let positionals: Int
    /// The body.
    public let run: @Sendable (Invocation) throws(CLIError) -> Void

    /// Creates a spec.
    public init(
        _ path: [String], _ summary: String, values: [String] = [], flags: [String] = [], repeating: [String] = [],
        positionals: Int = 0, run: @escaping @Sendable (Invocation) throws(CLIError) -> Void
    ) {
        self.path = path
        self.summary = summary
        self.values = values
        self.flags = flags
        self.repeating = repeating
        self.positionals = positionals
        self.run = run
    }

    /// The usage line.
    public var usage: String {
        var parts = ["usage: aether [--node HOST:PORT] [--token T] [--json]"] + path
        parts += values.map { "[--\($0) VALUE]" } + flags.map { "[--\($0)]" } + repeating.map { "[--\($0) VALUE]…" }
        if positionals > 0 { parts.append("[ID]") }
        return parts.joined(separator: " ")
    }
}

/// A parsed command line, handed to a command's body.
public struct Invocation: @unchecked Sendable {
    // @unchecked: `print` is a plain closure used synchronously by the one command that runs.
    /// Global options.
    public var global: GlobalOptions
    /// The command.
    public let spec: CommandSpec
    /// Option values (last one wins).
    public var values: [String: String] = [:]
    /// Repeated option values, in order.
    public var repeated: [String: [String]] = [:]
    /// Switches given.
    public var flags: Set<String> = []
    /// Positional arguments.
    public var positionals: [String] = []
    /// Where output goes (stdout in the real CLI).
    public var print: (String) -> Void

    /// An option's value.
    public func value(_ name: String) -> String? { values[name] }

    /// A required option's value.
    public func required(_ name: String) throws(CLIError) -> String {
        guard let v = values[name], !v.isEmpty else {
            throw CLIError.usage("missing --\(name)", spec.usage)
        }
        return v
    }

    /// The incident id from `--incident-id`, `--id` or the first positional.
    public func incidentID() throws(CLIError) -> String {
        if let v = values["incident-id"] ?? values["from-incident"] ?? values["id"] ?? positionals.first, !v.isEmpty { return v }
        throw CLIError.usage("missing --incident-id ID", spec.usage)
    }

    /// An integer option.
    public func int(_ name: String, default d: Int, range: ClosedRange<Int>) throws(CLIError) -> Int {
        guard let v = values[name] else { return d }
        guard let n = Int(v), range.contains(n) else {
            throw CLIError.usage("--\(name) '\(v)' is not valid; expected a whole number from \(range.lowerBound) to \(range.upperBound)", spec.usage)
        }
        return n
    }

    /// Whether a switch was given.
    public func flag(_ name: String) -> Bool { flags.contains(name) }

    /// A client for the node.
    public func client() throws(CLIError) -> AdminClient {
        let address: SocketAddress
        do { address = try SocketAddress(parsing: global.node) } catch {
            throw CLIError.usage("--node: \(error.message)")
        }
        return try AdminClient(address: address, token: global.token)
    }

    /// Prints a result: JSON when `--json`, else `human(result)`.
    public func show(_ result: JSONValue, human: (JSONValue) -> String) {
        print(global.json ? result.jsonString : human(result))
    }
}

/// Splits argv into the command and its options, checked against the command's spec.
public enum CommandLineParser {
    /// Parses `arguments` (without the program name).
    /// - Throws: `.usage` naming the unknown command or option.
    public static func parse(
        _ arguments: [String], commands: [CommandSpec], environment: [String: String], print: @escaping (String) -> Void
    ) throws(CLIError) -> Invocation {
        var global = GlobalOptions()
        if let n = environment["AETHER_NODE"] { global.node = n }
        global.token = environment["AETHER_TOKEN"]
        var rest: [String] = []
        var i = 0
        // Global options may appear anywhere.
        while i < arguments.count {
            let a = arguments[i]
            let (name, inline) = split(a)
            switch name {
            case "--node", "--token":
                let v: String
                if let inline { v = inline } else {
                    guard i + 1 < arguments.count else { throw CLIError.usage("\(name) needs a value") }
                    i += 1
                    v = arguments[i]
                }
                if name == "--node" { global.node = v } else { global.token = v }
            case "--json":
                global.json = true
            default:
                rest.append(a)
            }
            i += 1
        }
        let words = rest.prefix { !$0.hasPrefix("-") }
        guard let spec = commands.filter({ words.starts(with: $0.path) }).max(by: { $0.path.count < $1.path.count }) else {
            let given = words.joined(separator: " ")
            throw CLIError.usage(
                (given.isEmpty ? "no command given" : "unknown command '\(given)'") + "; run 'aether help' for the list")
        }
        var inv = Invocation(global: global, spec: spec, print: print)
        var j = spec.path.count
        while j < rest.count {
            let a = rest[j]
            if a.hasPrefix("--") {
                let (name, inline) = split(a)
                let key = String(name.dropFirst(2))
                if spec.flags.contains(key) {
                    if let inline, inline != "true" {
                        throw CLIError.usage("--\(key) is a switch and takes no value (got '\(inline)')", spec.usage)
                    }
                    inv.flags.insert(key)
                } else if spec.values.contains(key) || spec.repeating.contains(key) {
                    let v: String
                    if let inline { v = inline } else {
                        guard j + 1 < rest.count else { throw CLIError.usage("--\(key) needs a value", spec.usage) }
                        j += 1
                        v = rest[j]
                    }
                    if spec.repeating.contains(key) { inv.repeated[key, default: []].append(v) } else { inv.values[key] = v }
                } else {
                    throw CLIError.usage("unknown option --\(key) for '\(spec.path.joined(separator: " "))'", spec.usage)
                }
            } else {
                guard inv.positionals.count < spec.positionals else {
                    throw CLIError.usage("unexpected argument '\(a)'", spec.usage)
                }
                inv.positionals.append(a)
            }
            j += 1
        }
        return inv
    }

    private static func split(_ a: String) -> (String, String?) {
        guard a.hasPrefix("--"), let eq = a.firstIndex(of: "=") else { return (a, nil) }
        return (String(a[..<eq]), String(a[a.index(after: eq)...]))
    }
}
