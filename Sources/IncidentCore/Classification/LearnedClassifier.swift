/// A multinomial naive Bayes classifier trained on the categories of past incidents.
///
/// Training examples are (tokens, category) pairs: an incident's words with its category once an
/// operator confirmed it (resolved it, or corrected the category). Counts are commutative, so the
/// model is the same whatever order the examples arrive in — replaying the log on any node rebuilds
/// the same model. It predicts only when it has seen `minimumExamples` and the posterior of the best
/// category reaches `minimumConfidence`; otherwise the incident stays `unknown`.
public struct LearnedClassifier: Sendable, Equatable {
    /// Examples needed before it predicts anything.
    public var minimumExamples = 3
    /// Posterior probability the best category needs.
    public var minimumConfidence = 0.6

    private var tokenCounts: [Category: [String: Int]] = [:]
    private var tokenTotals: [Category: Int] = [:]
    private var exampleCounts: [Category: Int] = [:]
    private var vocabulary: [String: Int] = [:]

    /// An untrained classifier.
    public init() {}

    /// How many examples it holds.
    public var exampleCount: Int { exampleCounts.values.reduce(0, +) }

    /// Adds one example.
    public mutating func train(tokens: [String], category: Category) {
        adjust(tokens: tokens, category: category, by: 1)
    }

    /// Removes one example added earlier (used when an operator corrects a category it trained).
    public mutating func untrain(tokens: [String], category: Category) {
        adjust(tokens: tokens, category: category, by: -1)
    }

    private mutating func adjust(tokens: [String], category: Category, by delta: Int) {
        guard category != .unknown else { return }
        // Untraining an example that was never trained would drive counts negative: ignore it.
        if delta < 0 {
            guard (exampleCounts[category] ?? 0) > 0 else { return }
            var counts = tokenCounts[category] ?? [:]
            for t in tokens {
                guard (counts[t] ?? 0) > 0 else { return }
                counts[t]! -= 1
            }
        }
        exampleCounts[category, default: 0] += delta
        if exampleCounts[category]! <= 0 { exampleCounts[category] = nil }
        for t in tokens {
            tokenCounts[category, default: [:]][t, default: 0] += delta
            if tokenCounts[category]![t]! <= 0 { tokenCounts[category]![t] = nil }
            if tokenCounts[category]!.isEmpty { tokenCounts[category] = nil }
            tokenTotals[category, default: 0] += delta
            if tokenTotals[category]! <= 0 { tokenTotals[category] = nil }
            vocabulary[t, default: 0] += delta
            if vocabulary[t]! <= 0 { vocabulary[t] = nil }
        }
    }

    /// The most probable category with its posterior, or nil when the model is not sure enough.
    public func predict(tokens: [String]) -> (category: Category, confidence: Double)? {
        let total = exampleCount
        guard total >= minimumExamples else { return nil }
        let known = tokens.filter { vocabulary[$0] != nil }
        guard !known.isEmpty else { return nil }
        let v = Double(vocabulary.count)
        var scores: [(Category, Double)] = []
        for category in Category.assignable {
            guard let docs = exampleCounts[category] else { continue }
            var logP = log(Double(docs) / Double(total))
            let counts = tokenCounts[category] ?? [:]
            let denominator = Double(tokenTotals[category] ?? 0) + v
            for t in known { logP += log((Double(counts[t] ?? 0) + 1) / denominator) }
            scores.append((category, logP))
        }
        guard let best = scores.max(by: { $0.1 < $1.1 }) else { return nil }
        let sum = scores.reduce(0.0) { $0 + exp($1.1 - best.1) }
        let confidence = 1 / sum
        return confidence >= minimumConfidence ? (best.0, confidence) : nil
    }
}

// Natural log and exp without Foundation (Glibc is off limits in the core).
private func log(_ x: Double) -> Double {
    precondition(x > 0, "log of non-positive \(x)")
    // Reduce x = m · 2^e with m in [1, 2), then ln(m) by the atanh series.
    let e = Double(x.exponent)
    let m = x.significand
    let y = (m - 1) / (m + 1)
    let y2 = y * y
    var term = y
    var sum = 0.0
    var k = 1.0
    while k < 60 {
        sum += term / k
        term *= y2
        k += 2
    }
    return 2 * sum + e * 0.693_147_180_559_945_3
}

private func exp(_ x: Double) -> Double {
    if x < -700 { return 0 }
    // exp(x) = 2^k · exp(r), |r| ≤ ln2/2
    let ln2 = 0.693_147_180_559_945_3
    let k = (x / ln2).rounded()
    let r = x - k * ln2
    var term = 1.0
    var sum = 1.0
    for i in 1...20 {
        term *= r / Double(i)
        sum += term
    }
    return sum * Double(sign: .plus, exponent: Int(k), significand: 1)
}
