/// What kind of failure an incident is, for routing, reporting and similar-incident suggestions.
public enum Category: String, CaseIterable, Hashable, Sendable {
    case infrastructure, database, application, security, deployment
    case thirdParty = "third_party"
    case data, unknown

    /// The categories an incident can be assigned to (all but `unknown`), in tie-break order.
    public static let assignable: [Category] = [
        .infrastructure, .database, .application, .security, .deployment, .thirdParty, .data,
    ]

    /// Parses a category name; nil when unknown.
    public init?(parsing text: String) {
        self.init(rawValue: text.lowercased())
    }

    /// The message for an unparseable category.
    public static func invalidMessage(_ text: String) -> String {
        "category '\(text)' is not valid; expected one of "
            + Category.allCases.map(\.rawValue).joined(separator: ", ")
    }
}

/// How an incident's category was decided.
public enum CategorySource: UInt8, Sendable {
    /// From the keyword lists of SPEC §3.
    case keywords = 0
    /// From the classifier trained on operator-confirmed categories.
    case learned = 1
    /// Given by the source (`labels.category`) or an operator.
    case explicit = 2
    /// Nothing matched.
    case none = 3

    /// Name used in timeline details.
    public var name: String {
        switch self {
        case .keywords: "keywords"
        case .learned: "learned"
        case .explicit: "explicit"
        case .none: "none"
        }
    }
}
