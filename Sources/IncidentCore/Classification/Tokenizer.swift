/// Splits free text into lower-case word tokens for keyword matching and the learned classifier.
///
/// Splits on every non-alphanumeric byte and at camelCase boundaries (`HighErrorRate` → high, error,
/// rate); a trailing plural `s` is dropped from words longer than three letters (`connections` →
/// connection), so keyword lists can be written in the singular.
public enum Tokenizer {
    /// The tokens of `text`, in order, duplicates kept.
    public static func tokens(_ text: String) -> [String] {
        var out: [String] = []
        var current: [UInt8] = []
        var previousWasLowerOrDigit = false
        var upperRun = 0
        func flush() {
            if !current.isEmpty {
                if current.count > 3, current.last == 115, current[current.count - 2] != 115 { current.removeLast() }
                out.append(String(decoding: current, as: UTF8.self))
                current.removeAll(keepingCapacity: true)
            }
        }
        let bytes = Array(text.utf8)
        for (i, b) in bytes.enumerated() {
            let isUpper = b >= 65 && b <= 90
            let isLower = b >= 97 && b <= 122
            let isDigit = b >= 48 && b <= 57
            if isUpper {
                if previousWasLowerOrDigit { flush() }
                current.append(b + 32)
                previousWasLowerOrDigit = false
                upperRun += 1
            } else if isLower || isDigit {
                let next = i + 1 < bytes.count ? bytes[i + 1] : 0
                let endsWord = !(next >= 97 && next <= 122)
                if isLower, upperRun >= 2, !(b == 115 && endsWord) {
                    // "HTTPError": the last capital starts the next word ("APIs" stays one plural word).
                    let carried = current.removeLast()
                    flush()
                    current.append(carried)
                }
                current.append(b)
                previousWasLowerOrDigit = true
                upperRun = 0
            } else {
                flush()
                previousWasLowerOrDigit = false
                upperRun = 0
            }
        }
        flush()
        return out
    }
}
