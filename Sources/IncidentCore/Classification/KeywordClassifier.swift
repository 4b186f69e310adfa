/// Category from the keyword lists of SPEC §3 (the seed's lists).
///
/// Overlap rule, deterministic: each category scores the number of *distinct* keywords found among
/// the tokens of title, description and label values; the highest score wins; ties go to the
/// category listed first in `Category.assignable` (infrastructure, database, application, security,
/// deployment, third_party, data). So "api"/"service" alone mean application, and third_party needs
/// one of its own words (dependency, vendor) to win.
public enum KeywordClassifier {
    /// The keyword lists.
    public static let keywords: [(Category, [String])] = [
        (.infrastructure, ["cpu", "memory", "disk", "network", "host"]),
        (.database, ["connection", "query", "replication", "backup"]),
        (.application, ["api", "service", "microservice", "container"]),
        (.security, ["breach", "attack", "vulnerability", "access"]),
        (.deployment, ["release", "rollback", "migration", "config"]),
        (.thirdParty, ["api", "service", "dependency", "vendor"]),
        (.data, ["corruption", "loss", "integrity", "quality"]),
    ]

    /// The winning category, or nil when no keyword matches.
    public static func classify(tokens: [String]) -> Category? {
        let present = Set(tokens)
        var best: (Category, Int)?
        for (category, words) in keywords {
            let score = words.reduce(0) { $0 + (present.contains($1) ? 1 : 0) }
            if score > 0, score > (best?.1 ?? 0) { best = (category, score) }
        }
        return best?.0
    }
}
