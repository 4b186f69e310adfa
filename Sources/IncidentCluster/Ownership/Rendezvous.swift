import IncidentCore

/// Rendezvous (highest-random-weight) hashing: the owner of a key is the member whose hash with
/// the key is highest. Every node with the same member list picks the same owner without talking,
/// and when a member leaves only its keys move.
///
/// An incident's owner is the owner of its dedup key, so every incident for a key — duplicates
/// included — has one owner, which routes that key's alerts, runs its timers and merges duplicates.
public enum Rendezvous {
    /// The owner of `key` among `members`, or nil when there are none.
    public static func owner(of key: String, among members: [NodeID]) -> NodeID? {
        var best: (UInt64, NodeID)?
        let keyHash = FNV1a.hash64(key.utf8)
        for m in members {
            let w = EventDigest.mix(keyHash ^ FNV1a.hash64(m.name.utf8, seed: 0x84222325_cbf29ce4))
            if best == nil || w > best!.0 || (w == best!.0 && m < best!.1) { best = (w, m) }
        }
        return best?.1
    }
}
