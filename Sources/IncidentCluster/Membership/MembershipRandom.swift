/// SplitMix64: the seeded generator a `MembershipInstance` stores, so a run replays exactly from
/// its seed (probe order, helper and gossip-target choice, probe phase).
///
/// A copy of `IncidentSimulation.SeededRandom`: IncidentCluster must not depend on the
/// simulation target.
struct MembershipRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// Creates a generator from a seed.
    init(seed: UInt64) {
        state = seed
    }

    /// The next 64 random bits.
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
