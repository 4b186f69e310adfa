import IncidentCore

/// Rendezvous (highest-random-weight) hashing: the owner of a key is the member whose hash with
/// the key is highest. Every node with the same member list picks the same owner without talking,
/// and when a member leaves only its keys move.
///
/// An incident's owner is the owner of its dedup key among all alive members, so every incident
/// for a key — duplicates included — has one owner, which runs its timers, pages and merges
/// duplicates. Alerts are deduplicated by the key's owner *within the region they arrive in*
/// (`deciders`): a write is never sent across a WAN link to be decided, and since the highest
/// hash of a subset is the highest of the whole set whenever the whole set's winner is in the
/// subset, a key whose owner is in the receiving region is decided by that owner.
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

    /// Which of a key's duplicate open incidents survives a merge, given each one's opening node
    /// (oldest first): the one opened by the node ranked highest for the key — so the key's owner
    /// keeps the incident it opened itself, which it paged first — and among those, the oldest.
    /// A function of the incidents alone, so two nodes that both think they own the key (during a
    /// membership change) never merge each incident into the other.
    public static func mergeWinner(of key: String, openedBy origins: [NodeID]) -> Int? {
        guard let best = owner(of: key, among: origins) else { return nil }
        return origins.firstIndex(of: best)
    }

    /// The nodes that decide, for alerts arriving at `myself`, which incident a dedup key's alerts
    /// belong to: the active members of `myself`'s region and `myself`. On a cluster in one region
    /// these are all the owners.
    public static func deciders(among members: [Member], myself: Member) -> [NodeID] {
        members.filter { $0.state.isActive && $0.region == myself.region && $0.node != myself.node }.map(\.node) + [myself.node]
    }
}
