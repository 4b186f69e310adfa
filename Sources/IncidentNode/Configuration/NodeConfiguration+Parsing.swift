import AetherJSON
import IncidentCluster
import IncidentCore
import PosixIO

// MARK: - Flags and config files → NodeConfiguration (pure: the file's bytes are passed in).

extension NodeConfiguration {
    /// The usage text of `aetherd`.
    public static let usage = """
        usage: aetherd [--config FILE.json] [--node-id NAME] [--data-dir PATH] [--admin HOST:PORT]
                       [--http HOST:PORT] [--gossip HOST:PORT] [--peers H:P,H:P] [--region NAME]
                       [--write-quorum N] [--cluster-key-file PATH] [--admin-token-file PATH]
                       [--log-level debug|info|warn|error] [--fault-injection on|off]
        """

    static let flags = [
        "node-id", "data-dir", "admin", "http", "gossip", "peers", "region", "write-quorum", "cluster-key-file",
        "admin-token-file", "log-level", "fault-injection",
    ]

    /// Builds a configuration from command-line arguments (without the program name).
    /// - Parameter readFile: returns a file's bytes (the `--config` file), or throws a message.
    /// - Throws: `ConfigurationError` naming the bad flag or value.
    public static func parse(arguments: [String], readFile: (String) throws -> [UInt8]) throws(ConfigurationError)
        -> NodeConfiguration
    {
        var values: [(String, String)] = []
        var configPath: String?
        var i = 0
        while i < arguments.count {
            let arg = arguments[i]
            guard arg.hasPrefix("--") else {
                throw ConfigurationError("unexpected argument '\(arg)'; flags look like --node-id NAME")
            }
            var name = String(arg.dropFirst(2))
            var value: String
            if let eq = name.firstIndex(of: "=") {
                value = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            } else {
                guard i + 1 < arguments.count else { throw ConfigurationError("flag --\(name) needs a value") }
                i += 1
                value = arguments[i]
            }
            if name == "config" {
                configPath = value
            } else if flags.contains(name) {
                values.append((name, value))
            } else {
                throw ConfigurationError("unknown flag --\(name); expected one of --config, " + flags.map { "--\($0)" }.joined(separator: ", "))
            }
            i += 1
        }
        var config = NodeConfiguration()
        if let configPath {
            let bytes: [UInt8]
            do { bytes = try readFile(configPath) } catch {
                throw ConfigurationError("cannot read config file '\(configPath)': \(error)")
            }
            try config.apply(configFile: bytes, path: configPath)
        }
        for (name, value) in values { try config.apply(flag: name, value: value, origin: "--\(name)") }
        return config
    }

    /// Applies one flag (or the config-file key of the same name).
    mutating func apply(flag: String, value: String, origin: String) throws(ConfigurationError) {
        func address(_ v: String) throws(ConfigurationError) -> SocketAddress {
            do { return try SocketAddress(parsing: v) } catch { throw ConfigurationError("\(origin): \(error.message)") }
        }
        switch flag {
        case "node-id":
            do { nodeID = try NodeID(validating: value) } catch { throw ConfigurationError("\(origin): \(error.message)") }
        case "data-dir":
            guard !value.isEmpty else { throw ConfigurationError("\(origin) is empty; expected a directory path") }
            dataDir = value
        case "admin": admin = try address(value)
        case "http": http = try address(value)
        case "gossip": gossip = try address(value)
        case "peers":
            var list: [SocketAddress] = []
            for p in value.split(separator: ",") where !p.isEmpty { list.append(try address(String(p))) }
            peers = list
        case "region": region = value
        case "write-quorum":
            guard let n = Int(value), n >= 1 else {
                throw ConfigurationError("\(origin) '\(value)' is not valid; expected a whole number ≥ 1")
            }
            writeQuorum = n
        case "cluster-key-file": clusterKeyFile = value
        case "admin-token-file": adminTokenFile = value
        case "fault-injection":
            switch value.lowercased() {
            case "on", "true": faultInjection = true
            case "off", "false": faultInjection = false
            default: throw ConfigurationError("\(origin) '\(value)' is not valid; expected on or off")
            }
        case "log-level":
            guard let l = Logger.Level(parsing: value) else {
                throw ConfigurationError("\(origin) '\(value)' is not valid; expected debug, info, warn or error")
            }
            logLevel = l
        default:
            throw ConfigurationError("unknown setting \(origin)")
        }
    }

    /// Applies a JSON config file: keys are the flag names with `_` for `-`, plus policy sections.
    mutating func apply(configFile bytes: [UInt8], path: String) throws(ConfigurationError) {
        let root: JSONValue
        do { root = try JSONParser.parse(bytes) } catch {
            throw ConfigurationError("config file '\(path)' is not valid JSON: \(error.message)")
        }
        guard case .object(let o) = root else {
            throw ConfigurationError("config file '\(path)' holds a JSON \(root.typeName); expected an object")
        }
        for (key, value) in o {
            let origin = "\(path): \(key)"
            let flag = key.replacing("_", with: "-")
            if Self.flags.contains(flag) {
                let text: String
                switch value {
                case .string(let s): text = s
                case .int(let n): text = String(n)
                case .bool(let b): text = b ? "on" : "off"
                case .array(let items) where flag == "peers":
                    text = try items.map { (v) throws(ConfigurationError) -> String in
                        guard let s = v.stringValue else { throw ConfigurationError("\(origin) entries must be strings") }
                        return s
                    }.joined(separator: ",")
                default:
                    throw ConfigurationError("\(origin) is \(value.typeWithArticle); expected a string")
                }
                try apply(flag: flag, value: text, origin: origin)
                continue
            }
            switch key {
            case "reopen_window_s":
                policy.reopenWindow = .seconds(try seconds(value, origin))
            case "review_delay_s":
                policy.reviewDelay = .seconds(try seconds(value, origin))
            case "war_room_link_template":
                guard let s = value.stringValue else { throw ConfigurationError("\(origin) must be a string") }
                policy.warRoomLinkTemplate = s
            case "targets":
                try applyTargets(value, origin)
            case "services":
                try applyServices(value, origin)
            case "wal_segment_bytes_max":
                wal.segmentBytesMax = Int(try seconds(value, origin))
            case "admin_line_bytes_max":
                adminLimits.lineBytesMax = Int(try seconds(value, origin))
            case "membership_profile":
                switch value.stringValue {
                case "lan": membership = .lan
                case "wan": membership = .wan
                default: throw ConfigurationError("\(origin) is \(value); expected \"lan\" or \"wan\"")
                }
            case "snapshot_every_records":
                snapshotEveryRecords = Int(try seconds(value, origin))
            case "channels":
                try applyChannels(value, origin)
            case "templates":
                guard case .object(let o) = value else { throw ConfigurationError("\(origin) must be an object of template name → file path") }
                for (name, v) in o {
                    guard let path = v.stringValue, !path.isEmpty else { throw ConfigurationError("\(origin).\(name) must be a file path") }
                    templateFiles[name] = path
                }
            case "status_update_reminder_s":
                let s = try seconds(value, origin)
                guard s >= 1 else { throw ConfigurationError("\(origin) is \(s); expected at least 1 second") }
                statusUpdateReminder = .seconds(s)
            case "escalation_overdue_after_s":
                let s = try seconds(value, origin)
                guard s >= 1 else { throw ConfigurationError("\(origin) is \(s); expected at least 1 second") }
                escalationOverdueAfter = .seconds(s)
            case "escalation_warmup_ms":
                let ms = try seconds(value, origin)
                guard ms <= 60_000 else { throw ConfigurationError("\(origin) is \(ms); expected 0-60000 milliseconds") }
                escalationWarmup = .milliseconds(ms)
            default:
                throw ConfigurationError(
                    "\(origin): unknown setting; expected one of \(Self.flags.map { $0.replacing("-", with: "_") }.joined(separator: ", ")), "
                        + "reopen_window_s, review_delay_s, war_room_link_template, targets, services, wal_segment_bytes_max, "
                        + "admin_line_bytes_max, snapshot_every_records, membership_profile, escalation_overdue_after_s, escalation_warmup_ms, channels, templates, status_update_reminder_s")
            }
        }
    }

    private func seconds(_ v: JSONValue, _ origin: String) throws(ConfigurationError) -> Int64 {
        guard let n = v.intValue, n >= 0 else {
            throw ConfigurationError("\(origin) is \(v); expected a whole number ≥ 0")
        }
        return n
    }

    private mutating func applyTargets(_ v: JSONValue, _ origin: String) throws(ConfigurationError) {
        guard case .object(let o) = v else { throw ConfigurationError("\(origin) must be an object keyed by SEV-n") }
        for (sevText, t) in o {
            guard let sev = Severity.parseExplicit(sevText) else {
                throw ConfigurationError("\(origin): \(Severity.invalidMessage(sevText, allowMonitoringLevels: false))")
            }
            guard case .object(let fields) = t else {
                throw ConfigurationError("\(origin).\(sevText) must be an object with ack_s and resolve_s")
            }
            var target = policy.targets(for: sev)
            for (k, value) in fields {
                switch k {
                case "ack_s": target.acknowledge = .seconds(try seconds(value, "\(origin).\(sevText).ack_s"))
                case "resolve_s":
                    target.resolve = value.isNull ? nil : .seconds(try seconds(value, "\(origin).\(sevText).resolve_s"))
                default: throw ConfigurationError("\(origin).\(sevText).\(k): unknown field; expected ack_s or resolve_s")
                }
            }
            policy.targets[sev] = target
        }
    }

    private mutating func applyServices(_ v: JSONValue, _ origin: String) throws(ConfigurationError) {
        guard case .object(let o) = v else { throw ConfigurationError("\(origin) must be an object keyed by service name") }
        for (name, s) in o {
            guard case .object(let fields) = s else { throw ConfigurationError("\(origin).\(name) must be an object") }
            var entry = ServiceCatalog.Entry()
            for (k, value) in fields {
                let where_ = "\(origin).\(name).\(k)"
                switch k {
                case "criticality":
                    guard let c = value.stringValue.flatMap(ServiceCriticality.init(rawValue:)) else {
                        throw ConfigurationError("\(where_) is \(value); expected critical, high, medium or low")
                    }
                    entry.criticality = c
                case "owning_team":
                    guard let t = value.stringValue else { throw ConfigurationError("\(where_) must be a string") }
                    entry.owningTeam = t
                case "specialist_team":
                    guard let t = value.stringValue else { throw ConfigurationError("\(where_) must be a string") }
                    entry.specialistTeam = t
                case "auto_resolve":
                    guard let b = value.boolValue else { throw ConfigurationError("\(where_) must be true or false") }
                    entry.autoResolve = b
                default:
                    throw ConfigurationError(
                        "\(where_): unknown field; expected criticality, owning_team, specialist_team, auto_resolve")
                }
            }
            policy.services.entries[name] = entry
        }
    }

    private mutating func applyChannels(_ v: JSONValue, _ origin: String) throws(ConfigurationError) {
        guard case .object(let o) = v else { throw ConfigurationError("\(origin) must be an object keyed by channel name") }
        for (name, c) in o {
            let where_ = "\(origin).\(name)"
            guard !name.isEmpty, name.utf8.count <= 64, name != "log", name != "statuspage",
                name.utf8.allSatisfy({ ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 || $0 == 95 })
            else {
                throw ConfigurationError("\(where_): channel name '\(name)' is not valid; expected 1-64 characters of a-z, 0-9, '-' or '_' (and not 'log' or 'statuspage', which are built in)")
            }
            guard case .object(let fields) = c else { throw ConfigurationError("\(where_) must be an object") }
            let type = fields["type"]?.stringValue ?? "webhook"
            let allowed = (type == "smtp" ? ["type", "relay", "from", "to"] : ["type", "url", "format"]) + ["rate_per_minute"]
            var rate = 1200
            if let v = fields["rate_per_minute"] {
                guard let n = v.intValue, (1...60_000).contains(n) else {
                    throw ConfigurationError("\(where_).rate_per_minute is \(v); expected 1-60000 messages per minute")
                }
                rate = Int(n)
            }
            for k in fields.keys where !allowed.contains(k) {
                throw ConfigurationError("\(where_).\(k): unknown field for a \(type) channel; expected \(allowed.joined(separator: ", "))")
            }
            switch type {
            case "webhook":
                guard let url = fields["url"]?.stringValue, HTTPClient.parse(url) != nil else {
                    throw ConfigurationError("\(where_).url is \(fields["url"].map { "\($0)" } ?? "missing"); expected http://IPv4-or-localhost:port/path")
                }
                let formatText = fields["format"]?.stringValue ?? "json"
                guard let format = ChannelConfiguration.Format(rawValue: formatText) else {
                    throw ConfigurationError("\(where_).format is '\(formatText)'; expected json or slack")
                }
                channels[name] = ChannelConfiguration(url: url, format: format, ratePerMinute: rate)
            case "smtp":
                guard let relayText = fields["relay"]?.stringValue, let relay = try? SocketAddress(parsing: relayText) else {
                    throw ConfigurationError("\(where_).relay is \(fields["relay"].map { "\($0)" } ?? "missing"); expected host:port of an SMTP relay, e.g. 127.0.0.1:25")
                }
                guard let from = fields["from"]?.stringValue, Self.isEmailAddress(from) else {
                    throw ConfigurationError("\(where_).from is \(fields["from"].map { "\($0)" } ?? "missing"); expected an email address")
                }
                var to: [String] = []
                for (n, v) in (fields["to"]?.arrayValue ?? []).enumerated() {
                    guard let a = v.stringValue, Self.isEmailAddress(a) else {
                        throw ConfigurationError("\(where_).to[\(n)] is \(v); expected an email address")
                    }
                    to.append(a)
                }
                channels[name] = ChannelConfiguration(relay: relay, from: from, to: to, ratePerMinute: rate)
            default:
                throw ConfigurationError("\(where_).type is '\(type)'; expected webhook or smtp (`statuspage` and `log` are built in)")
            }
        }
    }

    /// `local@domain`, printable, no spaces or angle brackets (what the SMTP client may put in a command).
    static func isEmailAddress(_ s: String) -> Bool {
        let parts = s.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty && s.utf8.count <= 254
            && s.utf8.allSatisfy { $0 > 32 && $0 < 127 && $0 != UInt8(ascii: "<") && $0 != UInt8(ascii: ">") }
    }
}
