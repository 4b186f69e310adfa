import IncidentCore

/// Verifies a resolution by fetching a URL: passes on a 2xx status within the timeout.
enum HTTPProbe {
    static func check(url: String, timeoutMillis: Int) async -> VerificationOutcome {
        guard HTTPClient.parse(url) != nil else {
            return VerificationOutcome(method: "http_probe", passed: false, detail: "probe URL '\(url)' is not valid; expected http://IPv4-or-localhost:port/path")
        }
        switch await HTTPClient.request("GET", url: url, timeoutMillis: timeoutMillis) {
        case .failure(let e):
            return VerificationOutcome(method: "http_probe", passed: false, detail: e.description)
        case .success(let (code, ms)):
            return VerificationOutcome(method: "http_probe", passed: (200...299).contains(code), detail: "GET \(url) → \(code) in \(ms) ms")
        }
    }
}
