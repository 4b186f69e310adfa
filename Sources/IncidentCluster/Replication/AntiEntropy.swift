import IncidentCore

/// The decisions of an anti-entropy round, pure so the simulator runs the same code as the node:
///
/// 1. A sends the digest of each of 256 incident buckets (`summary`).
/// 2. B answers with its per-incident digests in the buckets that differ (`differingBuckets`).
/// 3. A plans (`plan`): incidents it holds that B lacks or holds differently go to B; incidents B
///    holds that A lacks or holds differently are requested from B. Both merge what they get.
///
/// A round repairs a bounded share: B lists the digests of at most `digestsPerRound` incidents
/// (whole buckets, starting where the last round stopped), and A sends and requests at most
/// `repairsPerRound` records — far fewer while pushes to B are still unacknowledged, since most
/// differences then are events on their way. Without these bounds, 100,000 incidents changing
/// under a storm made every round ship every record both ways, faster than peers could merge them.
public enum AntiEntropy {
    /// Most incident digests listed in one answer to a summary.
    public static let digestsPerRound = 25_000
    /// Most records sent, and most requested, by one side in one round.
    public static let repairsPerRound = 10_000
    /// The same while pushes to the peer are unacknowledged.
    public static let repairsPerBusyRound = 500

    /// The differing buckets to list this round, from `rotation` on (wrapping), whole buckets
    /// until `digestsPerRound` incidents are listed (at least one bucket).
    public static func bucketsToList(differing: [Int], counts: [Int: Int], rotation: Int) -> [Int] {
        guard !differing.isEmpty else { return [] }
        let start = differing.firstIndex { $0 >= rotation } ?? 0
        var out: [Int] = []
        var listed = 0
        for k in 0..<differing.count {
            let b = differing[(start + k) % differing.count]
            let n = counts[b] ?? 0
            if !out.isEmpty && listed + n > digestsPerRound { break }
            out.append(b)
            listed += n
        }
        return out
    }

    /// Buckets whose digests differ (all of them when the lists do not line up).
    public static func differingBuckets(ours: [UInt64], theirs: [UInt64]) -> [Int] {
        guard ours.count == theirs.count else { return Array(ours.indices) }
        return ours.indices.filter { ours[$0] != theirs[$0] }
    }

    /// What to send and what to ask for, given our and their digests in the differing buckets.
    public static func plan(ours: [(IncidentID, UInt64)], theirs: [(IncidentID, UInt64)]) -> (send: [IncidentID], request: [IncidentID]) {
        var theirMap: [IncidentID: UInt64] = [:]
        theirMap.reserveCapacity(theirs.count)
        for (id, d) in theirs { theirMap[id] = d }
        var send: [IncidentID] = []
        var request: [IncidentID] = []
        for (id, d) in ours {
            if let t = theirMap.removeValue(forKey: id) {
                if t != d {
                    send.append(id)
                    request.append(id)
                }
            } else {
                send.append(id)
            }
        }
        request += theirMap.keys
        return (send.sorted(), request.sorted())
    }
}
