import IncidentCore

/// The decisions of an anti-entropy round, pure so the simulator runs the same code as the node:
///
/// 1. A sends the digest of each of 256 incident buckets (`summary`).
/// 2. B answers with its per-incident digests in the buckets that differ (`differingBuckets`).
/// 3. A plans (`plan`): incidents it holds that B lacks or holds differently go to B; incidents B
///    holds that A lacks or holds differently are requested from B. Both merge what they get.
public enum AntiEntropy {
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
