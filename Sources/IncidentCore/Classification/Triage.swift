/// The classification, scores, severity and priority decided for a new incident.
///
/// Computed once, when the incident opens, and recorded in its `opened` event: the fold never
/// re-classifies, so every node shows the same values whatever its classifier has learned since.
public struct Triage: Sendable, Equatable {
    /// The category.
    public var category: Category
    /// How the category was decided.
    public var categorySource: CategorySource
    /// Impact score 0–10.
    public var impact: Int
    /// Urgency score 0–10.
    public var urgency: Int
    /// The severity.
    public var severity: Severity
    /// Whether the severity was given explicitly rather than scored.
    public var severityExplicit: Bool
    /// ITIL priority.
    public var priority: Priority

    /// Creates a triage result.
    public init(
        category: Category, categorySource: CategorySource, impact: Int, urgency: Int, severity: Severity,
        severityExplicit: Bool, priority: Priority
    ) {
        self.category = category
        self.categorySource = categorySource
        self.impact = impact
        self.urgency = urgency
        self.severity = severity
        self.severityExplicit = severityExplicit
        self.priority = priority
    }

    /// The words the classifiers look at: title, description and label values.
    public static func classificationTokens(of alert: Alert) -> [String] {
        var tokens = Tokenizer.tokens(alert.title)
        tokens += Tokenizer.tokens(alert.description)
        for key in alert.labels.keys.sorted() where key != "category" { tokens += Tokenizer.tokens(alert.labels[key]!) }
        return tokens
    }

    /// The words the learned classifier trains on and predicts from: the classification tokens plus
    /// the service name's words.
    public static func learningTokens(of alert: Alert) -> [String] {
        classificationTokens(of: alert) + Tokenizer.tokens(alert.service)
    }

    /// Triage of a new alert.
    /// - Parameters:
    ///   - alert: a validated alert.
    ///   - criticality: the service's criticality from the catalog.
    ///   - classifier: the learned classifier, consulted when no keyword matches.
    public static func assess(_ alert: Alert, criticality: ServiceCriticality, classifier: LearnedClassifier) -> Triage {
        let tokens = classificationTokens(of: alert)
        let category: Category
        let source: CategorySource
        if let given = alert.labels["category"].flatMap(Category.init(parsing:)), given != .unknown {
            (category, source) = (given, .explicit)
        } else if let c = KeywordClassifier.classify(tokens: tokens) {
            (category, source) = (c, .keywords)
        } else if let (c, _) = classifier.predict(tokens: learningTokens(of: alert)) {
            (category, source) = (c, .learned)
        } else {
            (category, source) = (.unknown, .none)
        }
        var services = Set(alert.affectedServices)
        if !alert.service.isEmpty { services.insert(alert.service) }
        let impact = SeverityScoring.impact(
            affectedUsersPct: alert.affectedUsersPct, affectedServiceCount: services.count, criticality: criticality)
        var level: MonitoringLevel?
        var explicit: Severity?
        switch alert.severity {
        case .explicit(let s): explicit = s
        case .level(let l): level = l
        case nil: break
        }
        let urgency = SeverityScoring.urgency(
            tokens: Tokenizer.tokens(alert.title) + Tokenizer.tokens(alert.description), level: level,
            timeSensitive: alert.labels["time_sensitive"]?.lowercased() == "true")
        let severity = explicit ?? SeverityScoring.severity(impact: impact, urgency: urgency)
        return Triage(
            category: category, categorySource: source, impact: impact, urgency: urgency, severity: severity,
            severityExplicit: explicit != nil,
            priority: PriorityMatrix.priority(impactScore: impact, urgencyScore: urgency, severity: severity))
    }
}
