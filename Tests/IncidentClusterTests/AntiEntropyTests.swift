import Testing

@testable import IncidentCluster

/// The per-round bound on what anti-entropy lists.
@Suite struct AntiEntropyRoundBoundTests {
    @Test func wholeBucketsFromTheRotationUntilTheBound() {
        let big = AntiEntropy.digestsPerRound / 2
        let counts = [3: big, 7: big, 9: big, 200: 10]
        // From bucket 7 on: 7 and 9 fill the round; 200 and 3 wait for the next one.
        #expect(AntiEntropy.bucketsToList(differing: [3, 7, 9, 200], counts: counts, rotation: 5) == [7, 9])
        // Past the last differing bucket the rotation wraps to the first.
        #expect(AntiEntropy.bucketsToList(differing: [3, 7, 9, 200], counts: counts, rotation: 201) == [3, 7])
        #expect(AntiEntropy.bucketsToList(differing: [200, 3].sorted(), counts: counts, rotation: 10) == [200, 3])
    }

    @Test func aBucketOverTheBoundIsStillListedAlone() {
        let counts = [4: AntiEntropy.digestsPerRound * 3, 5: 1]
        #expect(AntiEntropy.bucketsToList(differing: [4, 5], counts: counts, rotation: 0) == [4])
        #expect(AntiEntropy.bucketsToList(differing: [], counts: [:], rotation: 0).isEmpty)
    }
}
