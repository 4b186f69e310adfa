/// Cluster logic: SWIM-style membership, event replication and anti-entropy, ownership, wire frames
/// and their authentication. Instances here are pure (time and randomness passed in); the node's
/// shells drive them over TCP, the simulator drives them over a simulated network.
public enum IncidentCluster {
    /// Version of the gossip wire format.
    public static let wireVersion: UInt8 = 1
}
