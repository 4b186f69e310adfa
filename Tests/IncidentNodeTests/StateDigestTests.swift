import IncidentCore
import Testing

@testable import IncidentNode

/// The state digest's per-bucket reads, which anti-entropy feeds with bucket numbers from peers.
@Suite("State digest: incidents by bucket")
struct StateDigestTests {
    private func filled() -> (StateDigest, [IncidentID]) {
        let digest = StateDigest()
        let ids = (1...40).map { IncidentID(year: 2026, counter: UInt64($0), tag: "K7Q") }
        for (n, id) in ids.enumerated() { digest.set(id, bucket: StateDigest.bucket(of: id), units: 1, from: 0, to: UInt64(n + 1)) }
        return (digest, ids)
    }

    @Test("every incident is listed in its own bucket, with its latest digest")
    func digestsByBucket() {
        let (digest, ids) = filled()
        let all = digest.digests(inBuckets: 0..<StateDigest.bucketCount)
        #expect(Set(all.map(\.0)) == Set(ids))
        #expect(all.count == ids.count)
        let one = ids[7]
        let b = StateDigest.bucket(of: one)
        #expect(digest.digests(inBuckets: [b]).allSatisfy { StateDigest.bucket(of: $0.0) == b })
        #expect(digest.digests(inBuckets: [b]).contains { $0.0 == one && $0.1 == 8 })
        #expect(digest.digest(of: one) == 8)
        #expect(digest.counts(ofBuckets: [b])[b] == digest.digests(inBuckets: [b]).count)
    }

    @Test("bucket numbers out of range (a peer's bad frame) read as empty, never trap")
    func outOfRangeBuckets() {
        let (digest, _) = filled()
        #expect(digest.digests(inBuckets: [-1, StateDigest.bucketCount, 65_535]).isEmpty)
        #expect(digest.counts(ofBuckets: [-1, StateDigest.bucketCount, 65_535]).isEmpty)
    }
}
