/// ITIL priority P1 (highest) to P5, from the impact × urgency matrix.
public enum Priority: Int, CaseIterable, Comparable, Hashable, Sendable, CustomStringConvertible {
    case p1 = 1, p2, p3, p4, p5

    /// `P1` … `P5`.
    public var description: String { "P\(rawValue)" }

    public static func < (lhs: Priority, rhs: Priority) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Parses `P1` … `P5` (case-insensitive).
    public init?(parsing text: String) {
        let t = text.uppercased()
        guard t.count == 2, t.first == "P", let n = Int(t.dropFirst()), let p = Priority(rawValue: n) else { return nil }
        self = p
    }
}

/// High, medium or low — the three ITIL levels of impact and urgency.
public enum ITILLevel: Int, Sendable, CaseIterable {
    case high = 0, medium, low

    /// Level of a 0–10 score: ≥ 7 high, ≥ 4 medium, else low.
    public init(score: Int) {
        self = score >= 7 ? .high : score >= 4 ? .medium : .low
    }
}

/// The ITIL priority matrix.
///
///     impact \ urgency   high  medium  low
///     high                P1    P2     P3
///     medium              P2    P3     P4
///     low                 P3    P4     P5
///
/// The severity sets a floor: an incident is never given a lower priority than its severity implies
/// (SEV-0 → P1, SEV-1 → P2, SEV-2 → P3, SEV-3 → P4, SEV-4 → P5), so an operator's explicit SEV-0
/// is a P1 whatever the scores said.
public enum PriorityMatrix {
    /// The matrix cell for two levels.
    public static func priority(impact: ITILLevel, urgency: ITILLevel) -> Priority {
        Priority(rawValue: 1 + impact.rawValue + urgency.rawValue)!
    }

    /// Priority from 0–10 scores, raised to the floor the severity implies.
    public static func priority(impactScore: Int, urgencyScore: Int, severity: Severity) -> Priority {
        let fromMatrix = priority(impact: ITILLevel(score: impactScore), urgency: ITILLevel(score: urgencyScore))
        let floor = Priority(rawValue: severity.rawValue + 1)!
        return min(fromMatrix, floor)
    }
}
