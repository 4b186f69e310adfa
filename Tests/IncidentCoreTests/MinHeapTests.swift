import Testing

@testable import IncidentCore

/// `MinHeap` against a sorted-array model.
@Suite("MinHeap")
struct MinHeapTests {
    @Test("random pushes and pops match a sorted model", arguments: [1 as UInt64, 2, 3])
    func matchesModel(seed: UInt64) {
        var rng = SeededRandom(seed: seed)
        var heap = MinHeap<Int>()
        var model: [Int] = []
        var mismatches = 0
        let range = seed == 1 ? 8 : 1_000_000  // seed 1: many duplicates
        for _ in 0..<20_000 {
            if model.isEmpty || rng.next() % 3 != 0 {
                let v = Int(rng.next() % UInt64(range))
                heap.push(v)
                let i = model.partitioningIndex { $0 >= v }
                model.insert(v, at: i)
            } else {
                if heap.pop() != model.removeFirst() { mismatches += 1 }
            }
            if heap.count != model.count || heap.peek != model.first { mismatches += 1 }
        }
        var drained: [Int] = []
        while let v = heap.pop() { drained.append(v) }
        #expect(mismatches == 0)
        let firstDifference = drained.indices.first { $0 >= model.count || drained[$0] != model[$0] }
            ?? (drained.count == model.count ? nil : drained.count)
        #expect(firstDifference == nil, "drained \(drained.count) vs model \(model.count)")
        #expect(heap.isEmpty && heap.pop() == nil && heap.peek == nil)
    }

    @Test("removeAll empties it; it is usable afterwards")
    func removeAll() {
        var heap = MinHeap<Int>()
        for v in [5, 3, 9, 1] { heap.push(v) }
        heap.removeAll()
        #expect(heap.isEmpty && heap.count == 0)
        heap.push(4)
        heap.push(2)
        #expect(heap.pop() == 2 && heap.pop() == 4 && heap.pop() == nil)
    }
}

extension Array {
    /// The first index whose element satisfies `belongs` (which must be false, then true).
    fileprivate func partitioningIndex(where belongs: (Element) -> Bool) -> Int {
        var lo = 0
        var hi = count
        while lo < hi {
            let mid = (lo + hi) / 2
            if belongs(self[mid]) { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }
}
