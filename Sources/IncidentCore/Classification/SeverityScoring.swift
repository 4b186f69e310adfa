/// How much a service matters, from the service catalog.
public enum ServiceCriticality: String, Sendable, CaseIterable {
    case critical, high, medium, low

    /// Points added to the impact score.
    var impactAdjustment: Int {
        switch self {
        case .critical: 2
        case .high: 1
        case .medium: 0
        case .low: -1
        }
    }
}

/// Impact and urgency scores (0–10 each) and the severity they imply.
///
/// **Impact** = max(users score, services score) + criticality adjustment, clamped to 0–10:
///
///     affected_users_pct  ≥90 → 10, ≥50 → 8, ≥25 → 7, ≥10 → 5, ≥1 → 3, >0 → 2, 0 or absent → 0
///     affected services   (the alert's service plus affected_services, distinct)
///                         ≥5 → 8, ≥3 → 6, 2 → 4, 1 → 2, none → 0
///     criticality         critical +2, high +1, medium 0, low −1
///
/// **Urgency** = max(symptom score, monitoring level score) + 1 if the label `time_sensitive` is
/// `true`, clamped to 0–10. Symptoms are the words of title and description (see `Tokenizer`):
///
///     9: outage down unavailable unreachable crash crashed dead breach corruption
///     7: failing failed failure timeout exhausted critical
///     6: error exception 5xx
///     5: degraded slow latency saturation saturated
///     3: warning capacity deprecated deprecation approaching
///     otherwise 2
///     level: critical 9, error 6, warning 3, info 1
///
/// **Severity** (SPEC §3): impact ≥ 9 and urgency ≥ 9 → SEV-0; either ≥ 7 → SEV-1; ≥ 5 → SEV-2;
/// ≥ 3 → SEV-3; else SEV-4.
public enum SeverityScoring {
    /// The impact score.
    public static func impact(affectedUsersPct: Double?, affectedServiceCount: Int, criticality: ServiceCriticality)
        -> Int
    {
        let users: Int
        switch affectedUsersPct ?? 0 {
        case 90...: users = 10
        case 50...: users = 8
        case 25...: users = 7
        case 10...: users = 5
        case 1...: users = 3
        case let p where p > 0: users = 2
        default: users = 0
        }
        let services: Int
        switch affectedServiceCount {
        case 5...: services = 8
        case 3...: services = 6
        case 2: services = 4
        case 1: services = 2
        default: services = 0
        }
        return clamp(max(users, services) + criticality.impactAdjustment)
    }

    /// The urgency score.
    public static func urgency(tokens: [String], level: MonitoringLevel?, timeSensitive: Bool) -> Int {
        var symptoms = 2
        for t in tokens {
            if let s = symptomScores[t], s > symptoms { symptoms = s }
        }
        let levelScore: Int
        switch level {
        case .critical: levelScore = 9
        case .error: levelScore = 6
        case .warning: levelScore = 3
        case .info: levelScore = 1
        case nil: levelScore = 0
        }
        return clamp(max(symptoms, levelScore) + (timeSensitive ? 1 : 0))
    }

    /// SPEC §3's thresholds.
    public static func severity(impact: Int, urgency: Int) -> Severity {
        if impact >= 9 && urgency >= 9 { return .sev0 }
        if impact >= 7 || urgency >= 7 { return .sev1 }
        if impact >= 5 || urgency >= 5 { return .sev2 }
        if impact >= 3 || urgency >= 3 { return .sev3 }
        return .sev4
    }

    static let symptomScores: [String: Int] = {
        var m: [String: Int] = [:]
        for w in ["outage", "down", "unavailable", "unreachable", "crash", "crashed", "dead", "breach", "corruption"] {
            m[w] = 9
        }
        for w in ["failing", "failed", "failure", "timeout", "exhausted", "critical"] { m[w] = 7 }
        for w in ["error", "exception", "5xx"] { m[w] = 6 }
        for w in ["degraded", "slow", "latency", "saturation", "saturated"] { m[w] = 5 }
        for w in ["warning", "capacity", "deprecated", "deprecation", "approaching"] { m[w] = 3 }
        return m
    }()

    private static func clamp(_ v: Int) -> Int { min(10, max(0, v)) }
}
