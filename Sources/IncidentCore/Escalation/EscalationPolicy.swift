/// Who a policy level pages: one person, or whoever a schedule has on call at the time.
public enum EscalationTarget: Sendable, Equatable, Hashable {
    /// A person by name.
    case person(String)
    /// An on-call schedule by name.
    case schedule(String)

    /// The referenced name.
    public var name: String {
        switch self {
        case .person(let n), .schedule(let n): n
        }
    }
}

/// An escalation policy (SPEC §3): ordered levels of targets with delays, run again `repeats`
/// times, then a `timeout` escalation that raises the severity and notifies the managers.
///
/// Level *n* is paged when the incident triggers (n = 1) or when level *n − 1* went unacknowledged
/// for its `delay`. An acknowledged incident is paged again when its acknowledgement is older than
/// `ackTimeout` (like PagerDuty's acknowledgement_timeout).
public struct EscalationPolicy: Sendable, Equatable {
    /// One level.
    public struct Level: Sendable, Equatable {
        /// How long this level has to acknowledge before the next level is paged.
        public var delay: Duration
        /// Who is paged.
        public var targets: [EscalationTarget]

        /// Creates a level.
        public init(delay: Duration, targets: [EscalationTarget]) {
            self.delay = delay
            self.targets = targets
        }
    }

    /// Name (unique among policies).
    public var name: String
    /// Levels, paged in order.
    public var levels: [Level]
    /// How many more times the whole list of levels is paged after the last level (0–9).
    public var repeats: Int
    /// Acknowledgements older than this page again (nil: never).
    public var ackTimeout: Duration?
    /// People notified by the `timeout` escalation.
    public var managers: [String]

    /// Most levels a policy may have.
    public static let levelsMax = 20
    /// Most repeats.
    public static let repeatsMax = 9

    /// Creates a policy.
    public init(name: String, levels: [Level], repeats: Int = 0, ackTimeout: Duration? = nil, managers: [String] = []) {
        self.name = name
        self.levels = levels
        self.repeats = repeats
        self.ackTimeout = ackTimeout
        self.managers = managers
    }

    /// Checks the policy against the people and schedules it may name.
    /// - Throws: `DomainError.badRequest` naming the bad value and what was expected.
    public func validate(people: Set<String>, schedules: Set<String>) throws(DomainError) {
        try CatalogName.check(name, kind: "policy")
        guard !levels.isEmpty else {
            throw .badRequest("policy '\(name)' has no levels; expected 1-\(Self.levelsMax) levels, each with targets")
        }
        guard levels.count <= Self.levelsMax else {
            throw .badRequest("policy '\(name)' has \(levels.count) levels; expected at most \(Self.levelsMax)")
        }
        guard (0...Self.repeatsMax).contains(repeats) else {
            throw .badRequest("policy '\(name)' repeats \(repeats) times; expected 0-\(Self.repeatsMax)")
        }
        if let t = ackTimeout, t < .seconds(1) {
            throw .badRequest("policy '\(name)' ack_timeout_s \(t.wholeMilliseconds / 1000) is too short; expected at least 1 second")
        }
        for (n, level) in levels.enumerated() {
            guard level.delay >= .seconds(1), level.delay <= .seconds(7 * 86400) else {
                throw .badRequest(
                    "policy '\(name)' level \(n + 1) delay \(level.delay.wholeMilliseconds / 1000) s is out of range; expected 1 s to 7 days")
            }
            guard !level.targets.isEmpty else {
                throw .badRequest("policy '\(name)' level \(n + 1) is empty; expected at least one person or schedule")
            }
            for t in level.targets {
                switch t {
                case .person(let p) where !people.contains(p):
                    throw .badRequest("policy '\(name)' level \(n + 1) names unknown person '\(p)'; add it with `aether person set` first")
                case .schedule(let s) where !schedules.contains(s):
                    throw .badRequest("policy '\(name)' level \(n + 1) names unknown schedule '\(s)'; add it with `aether schedule set` first")
                default: break
                }
            }
        }
        for m in managers where !people.contains(m) {
            throw .badRequest("policy '\(name)' names unknown escalation manager '\(m)'; add it with `aether person set` first")
        }
    }
}

/// Names of catalog objects (people, schedules, policies, services): what they may look like.
public enum CatalogName {
    /// Longest name, in bytes.
    public static let maxBytes = 128

    /// Checks a name: 1–128 bytes of letters, digits, `.`, `_`, `-`, `@` or `+`.
    /// - Throws: `DomainError.badRequest` naming the value.
    public static func check(_ name: String, kind: String) throws(DomainError) {
        let bytes = name.utf8
        let ok =
            (1...maxBytes).contains(bytes.count)
            && bytes.allSatisfy { b in
                (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b == 45 || b == 46 || b == 95
                    || b == 64 || b == 43
            }
        guard ok else {
            throw .badRequest(
                "\(kind) name '\(name)' is not valid; expected 1-\(maxBytes) characters of letters, digits, '.', '_', '-', '@' or '+'")
        }
    }
}
