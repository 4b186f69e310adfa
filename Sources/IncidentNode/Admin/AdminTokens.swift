import AdminProtocol

/// Admin tokens and their roles, from `--admin-token-file`: one `TOKEN ROLE [NAME]` per line,
/// `#` comments and blank lines ignored. Without a file the node is open (loopback only).
public struct AdminTokens: Sendable, Equatable {
    /// One token.
    public struct Entry: Sendable, Equatable {
        /// What it may do.
        public var role: AdminRole
        /// Who holds it (used as the actor of their changes).
        public var name: String
    }

    /// Tokens by secret.
    public var entries: [String: Entry] = [:]

    /// No tokens.
    public init() {}

    /// Parses a token file.
    /// - Throws: `ConfigurationError` naming the line.
    public init(parsing text: String, path: String) throws(ConfigurationError) {
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") { continue }
            let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard parts.count >= 2, parts.count <= 3 else {
                throw ConfigurationError("\(path):\(n + 1): expected 'TOKEN ROLE [NAME]', got \(parts.count) fields")
            }
            guard parts[0].count >= 16 else {
                throw ConfigurationError("\(path):\(n + 1): token is \(parts[0].count) characters; expected at least 16")
            }
            guard let role = AdminRole(rawValue: parts[1]) else {
                throw ConfigurationError("\(path):\(n + 1): role '\(parts[1])' is not valid; expected viewer, responder or admin")
            }
            entries[parts[0]] = Entry(role: role, name: parts.count == 3 ? parts[2] : role.rawValue)
        }
        if entries.isEmpty { throw ConfigurationError("\(path): no tokens found; expected lines 'TOKEN ROLE [NAME]'") }
    }

    /// Checks a request's token for an op: returns the caller's name, or the error to answer.
    public func authorize(_ token: String?, op: AdminOp) -> Result<String?, AdminError> {
        guard !entries.isEmpty else { return .success(nil) }
        guard let token, let e = entries[token] else {
            return .failure(AdminError(.unauthorized, token == nil ? "this node requires a token; pass --token or set AETHER_TOKEN" : "unknown token"))
        }
        guard e.role >= op.requiredRole else {
            return .failure(AdminError(.forbidden, "\(op.rawValue) needs role \(op.requiredRole.rawValue); token of '\(e.name)' has \(e.role.rawValue)"))
        }
        return .success(e.name)
    }
}

extension Substring {
    func trimmingWhitespace() -> Substring {
        var s = self
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return s
    }
}
