import Testing

@testable import IncidentCore

@Suite("Classification: tokenizer, keywords, triage and the learned classifier")
struct ClassificationTests {
    // MARK: - Tokenizer

    @Test(
        "tokenizer splits words, camelCase and acronyms, strips plurals",
        arguments: [
            ("HighErrorRate", ["high", "error", "rate"]),
            ("HTTPError", ["http", "error"]),
            ("getHTTPResponse", ["get", "http", "response"]),
            ("DNS lookup failed", ["dns", "lookup", "failed"]),
            ("disk-full: /var (95%)!", ["disk", "full", "var", "95"]),
            ("snake_case and kebab-case", ["snake", "case", "and", "kebab", "case"]),
            ("Connections dropped", ["connection", "dropped"]),
            ("disks hosts", ["disk", "host"]),
            ("data loss, no access", ["data", "loss", "no", "access"]),  // -ss is not a plural
            ("bus gas", ["bus", "gas"]),  // three letters or fewer keep their s
            ("HTTP 5xx errors", ["http", "5xx", "error"]),
            ("ipv6 db01 v2", ["ipv6", "db01", "v2"]),
            ("", []),
            ("  ,;  --  ", []),
            ("TIMEOUT", ["timeout"]),
        ] as [(String, [String])])
    func tokenizer(text: String, expected: [String]) {
        #expect(Tokenizer.tokens(text) == expected)
    }

    @Test(
        "tokenizer handles plural acronyms (APIs, CPUs)",
        arguments: [
            ("APIs", ["api"]),
            ("CPUs pegged", ["cpu", "pegged"]),
            ("Payment APIs failing", ["payment", "api", "failing"]),
        ] as [(String, [String])])
    func tokenizerPluralAcronyms(text: String, expected: [String]) {
        #expect(Tokenizer.tokens(text) == expected)
    }

    @Test(
        "tokenizer splits camelCase after digits",
        arguments: [
            ("Node1Down", ["node1", "down"]),
            ("HTTP2Error", ["http2", "error"]),
        ] as [(String, [String])])
    func tokenizerCamelCaseAfterDigits(text: String, expected: [String]) {
        #expect(Tokenizer.tokens(text) == expected)
    }

    // MARK: - KeywordClassifier

    /// Every keyword of SPEC §3 on its own; api/service are shared and go to application.
    static let singleKeywords: [(String, Category)] = [
        ("cpu", .infrastructure), ("memory", .infrastructure), ("disk", .infrastructure),
        ("network", .infrastructure), ("host", .infrastructure),
        ("connection", .database), ("query", .database), ("replication", .database), ("backup", .database),
        ("api", .application), ("service", .application), ("microservice", .application), ("container", .application),
        ("breach", .security), ("attack", .security), ("vulnerability", .security), ("access", .security),
        ("release", .deployment), ("rollback", .deployment), ("migration", .deployment), ("config", .deployment),
        ("dependency", .thirdParty), ("vendor", .thirdParty),
        ("corruption", .data), ("loss", .data), ("integrity", .data), ("quality", .data),
    ]

    @Test("each keyword alone selects its category", arguments: singleKeywords)
    func singleKeyword(word: String, expected: Category) {
        #expect(KeywordClassifier.classify(tokens: ["the", word, "is", "bad"]) == expected)
    }

    @Test(
        "overlaps: most distinct keywords wins, ties go to the earlier category",
        arguments: [
            (["api", "service"], Category.application),  // app 2, third_party 2 → earlier
            (["api", "vendor"], .thirdParty),  // third_party 2, app 1
            (["service", "dependency"], .thirdParty),
            (["api", "service", "dependency"], .thirdParty),  // 3 vs 2
            (["api", "service", "container", "vendor"], .application),  // 3 vs 3 → earlier
            (["cpu", "query"], .infrastructure),  // tie → earlier
            (["loss", "breach"], .security),  // tie, security before data
            (["release", "access"], .security),  // tie, security before deployment
            (["cpu", "cpu", "cpu", "query", "backup"], .database),  // distinct words count: 1 vs 2
        ] as [([String], Category)])
    func overlapRule(tokens: [String], expected: Category) {
        #expect(KeywordClassifier.classify(tokens: tokens) == expected)
    }

    @Test("no keyword, no category")
    func noKeyword() {
        #expect(KeywordClassifier.classify(tokens: []) == nil)
        #expect(KeywordClassifier.classify(tokens: ["weird", "thing"]) == nil)
    }

    // MARK: - Triage

    static func trained() -> LearnedClassifier {
        var c = LearnedClassifier()
        c.train(tokens: ["ledger", "mismatch", "balance"], category: .data)
        c.train(tokens: ["ledger", "balance", "drift"], category: .data)
        c.train(tokens: ["balance", "mismatch", "report"], category: .data)
        c.train(tokens: ["kernel", "panic", "node"], category: .infrastructure)
        c.train(tokens: ["kernel", "oom", "killer"], category: .infrastructure)
        c.train(tokens: ["node", "reboot", "kernel"], category: .infrastructure)
        return c
    }

    @Test("labels.category wins over keywords")
    func triageExplicitCategory() {
        let alert = Alert(title: "CPU at 100%", labels: ["category": "Security"])
        let t = Triage.assess(alert, criticality: .medium, classifier: LearnedClassifier())
        #expect(t.category == .security)
        #expect(t.categorySource == .explicit)
    }

    @Test("an unknown or invalid labels.category falls back to keywords", arguments: ["unknown", "nonsense", ""])
    func triageInvalidExplicitCategory(label: String) {
        let alert = Alert(title: "CPU at 100%", labels: ["category": label])
        let t = Triage.assess(alert, criticality: .medium, classifier: LearnedClassifier())
        #expect(t.category == .infrastructure)
        #expect(t.categorySource == .keywords)
    }

    @Test("keywords come from title, description and label values")
    func triageKeywords() {
        let fromTitle = Triage.assess(Alert(title: "Replication lag on primary"), criticality: .medium, classifier: Self.trained())
        #expect(fromTitle.category == .database)
        #expect(fromTitle.categorySource == .keywords)
        let fromDescription = Triage.assess(
            Alert(title: "Something odd", description: "possible data corruption"), criticality: .medium,
            classifier: Self.trained())
        #expect(fromDescription.category == .data)
        let fromLabels = Triage.assess(
            Alert(title: "Something odd", labels: ["owner": "vendor dependency"]), criticality: .medium,
            classifier: Self.trained())
        #expect(fromLabels.category == .thirdParty)
    }

    @Test("the learned classifier is the fallback when no keyword matches")
    func triageLearnedFallback() {
        let alert = Alert(title: "Ledger mismatch on balance report", service: "billing")
        let t = Triage.assess(alert, criticality: .medium, classifier: Self.trained())
        #expect(t.category == .data)
        #expect(t.categorySource == .learned)
    }

    @Test("nothing matches: unknown")
    func triageUnknown() {
        let alert = Alert(title: "Something odd happened")
        let t = Triage.assess(alert, criticality: .medium, classifier: Self.trained())
        #expect(t.category == .unknown)
        #expect(t.categorySource == .none)
    }

    @Test("triage scores impact, urgency, severity and priority")
    func triageScores() {
        // users 95% → 10, +2 critical → clamped 10; "outage" → 9 → SEV-0, P1
        let major = Triage.assess(
            Alert(title: "Checkout outage", service: "payments", affectedUsersPct: 95), criticality: .critical,
            classifier: LearnedClassifier())
        #expect((major.impact, major.urgency, major.severity, major.priority) == (10, 9, .sev0, .p1))
        #expect(!major.severityExplicit)
        // service + 2 others, distinct ("a" repeated) → 3 services → 6; "slow" 5, +1 time sensitive → 6
        let partial = Triage.assess(
            Alert(title: "Search slow", service: "a", labels: ["time_sensitive": "TRUE"], affectedServices: ["a", "b", "c"]),
            criticality: .medium, classifier: LearnedClassifier())
        #expect((partial.impact, partial.urgency, partial.severity, partial.priority) == (6, 6, .sev2, .p3))
        // level critical feeds urgency
        let level = Triage.assess(
            Alert(title: "Probe", severity: .level(.critical)), criticality: .medium, classifier: LearnedClassifier())
        #expect((level.urgency, level.severity, level.severityExplicit) == (9, .sev1, false))
    }

    // MARK: - LearnedClassifier

    @Test("an untrained classifier predicts nothing")
    func untrained() {
        #expect(LearnedClassifier().predict(tokens: ["ledger", "mismatch"]) == nil)
        #expect(LearnedClassifier().exampleCount == 0)
    }

    @Test("fewer than the minimum examples predicts nothing")
    func belowMinimumExamples() {
        var c = LearnedClassifier()
        c.train(tokens: ["ledger", "mismatch"], category: .data)
        c.train(tokens: ["ledger", "balance"], category: .data)
        #expect(c.predict(tokens: ["ledger"]) == nil)
        c.train(tokens: ["ledger", "drift"], category: .data)
        #expect(c.predict(tokens: ["ledger"])?.category == .data)
    }

    @Test("a trained classifier predicts the category of similar text")
    func trainedPredicts() throws {
        let c = Self.trained()
        #expect(c.exampleCount == 6)
        // data: ½ · (3/20)² = 0.01125; infrastructure: ½ · (1/20)² = 0.00125 → 0.01125 / 0.0125 = 0.9
        let data = try #require(c.predict(tokens: ["ledger", "mismatch"]))
        #expect(data.category == .data)
        #expect(abs(data.confidence - 0.9) < 1e-9)
        #expect(c.predict(tokens: ["kernel", "panic", "unseen"])?.category == .infrastructure)
        #expect(c.predict(tokens: ["never", "seen"]) == nil)
    }

    @Test("below the confidence threshold it predicts nothing")
    func confidenceThreshold() {
        var c = Self.trained()
        c.minimumConfidence = 0.95
        #expect(c.predict(tokens: ["ledger", "mismatch"]) == nil)  // 0.9 < 0.95
        c.minimumConfidence = 0.89
        #expect(c.predict(tokens: ["ledger", "mismatch"])?.category == .data)
    }

    @Test("train then untrain leaves predictions as before")
    func trainUntrainPredictions() {
        let base = Self.trained()
        var c = base
        c.train(tokens: ["ledger", "kernel", "exploit"], category: .security)
        c.untrain(tokens: ["ledger", "kernel", "exploit"], category: .security)
        for q in [["ledger"], ["kernel", "panic"], ["balance", "node"], ["exploit"], ["ledger", "mismatch"]] {
            let p = c.predict(tokens: q)
            let e = base.predict(tokens: q)
            #expect(p?.category == e?.category, "\(q)")
            #expect(p?.confidence == e?.confidence, "\(q)")
        }
        #expect(c.exampleCount == base.exampleCount)
    }

    @Test("train then untrain restores an equal model")
    func trainUntrainEqualModel() {
        let base = Self.trained()
        var c = base
        c.train(tokens: ["ledger", "kernel", "exploit"], category: .security)
        c.untrain(tokens: ["ledger", "kernel", "exploit"], category: .security)
        #expect(c == base)
    }

    @Test("training order does not matter")
    func orderIndependence() {
        let examples: [([String], Category)] = [
            (["ledger", "mismatch"], .data), (["kernel", "panic"], .infrastructure), (["ledger", "drift"], .data),
            (["tls", "cert", "expired"], .security), (["kernel", "oom"], .infrastructure), (["cert", "rotation"], .security),
        ]
        var forward = LearnedClassifier()
        for (t, c) in examples { forward.train(tokens: t, category: c) }
        var backward = LearnedClassifier()
        for (t, c) in examples.reversed() { backward.train(tokens: t, category: c) }
        #expect(forward == backward)
        #expect(forward.predict(tokens: ["tls", "cert"])?.category == .security)
    }

    @Test("unknown is never trained")
    func unknownNotTrained() {
        var c = LearnedClassifier()
        c.train(tokens: ["a"], category: .unknown)
        #expect(c == LearnedClassifier())
    }

    @Test("category parsing is case-insensitive; the message lists the choices")
    func categoryParsing() {
        #expect(Category(parsing: "Third_Party") == .thirdParty)
        #expect(Category(parsing: "third-party") == nil)
        let m = Category.invalidMessage("bogus")
        #expect(m.contains("'bogus'") && m.contains("third_party") && m.contains("unknown"))
    }
}
