import IncidentCore

/// Virtual time of a simulation and the queue of everything scheduled in it.
///
/// The simulator is one synchronous loop: pop the earliest entry, run it, repeat. Entries are
/// ordered by `(time, sequence)`, where `sequence` is the order they were scheduled in, so two
/// entries due at the same millisecond run in the order they were created — the same on every
/// run of a seed (FoundationDB's and TigerBeetle's simulators work the same way). No wall clock,
/// no threads: time moves only when the loop pops an entry scheduled later than `now`.
public struct SimClock<Payload> {
    /// One scheduled entry; its payload waits in `slots` (the heap moves small values only).
    struct Entry {
        var time: Int64
        var sequence: UInt64
        var slot: Int

        func precedes(_ other: Entry) -> Bool {
            time != other.time ? time < other.time : sequence < other.sequence
        }
    }

    /// The current virtual time, in milliseconds since the simulation started.
    public private(set) var now: Int64 = 0
    /// Entries waiting, a binary min-heap on `(time, sequence)`.
    private var heap: [Entry] = []
    private var slots: [Payload?] = []
    private var freeSlots: [Int] = []
    private var scheduled: UInt64 = 0

    /// An empty queue at time 0.
    public init() {}

    /// Number of entries waiting.
    public var pending: Int { heap.count }

    /// Entries scheduled so far (a cheap measure of how much work a run did).
    public var scheduledCount: UInt64 { scheduled }

    /// Schedules `payload` at virtual time `time` (clamped to now: the past is not reachable).
    public mutating func schedule(at time: Int64, _ payload: Payload) {
        scheduled += 1
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
            slots[slot] = payload
        } else {
            slot = slots.count
            slots.append(payload)
        }
        heap.append(Entry(time: max(time, now), sequence: scheduled, slot: slot))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].precedes(heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    /// Schedules `payload` `delay` milliseconds from now.
    public mutating func schedule(after delay: Int64, _ payload: Payload) {
        schedule(at: now + max(0, delay), payload)
    }

    /// The time of the earliest entry, if any.
    public var nextTime: Int64? { heap.first?.time }

    /// Removes the earliest entry and moves `now` to its time.
    public mutating func pop() -> Payload? {
        guard !heap.isEmpty else { return nil }
        let top = heap[0]
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                let right = left + 1
                var best = parent
                if left < heap.count, heap[left].precedes(heap[best]) { best = left }
                if right < heap.count, heap[right].precedes(heap[best]) { best = right }
                if best == parent { break }
                heap.swapAt(parent, best)
                parent = best
            }
        }
        now = top.time
        let payload = slots[top.slot].take()
        freeSlots.append(top.slot)
        return payload
    }
}

/// The wall clock of one simulated node: virtual time plus a fixed epoch plus the node's own
/// offset, which clock-jump faults move forward or backward (an NTP step, a VM resume).
public struct SimWallClock: Sendable {
    /// Virtual time 0 as a wall-clock instant (2027-01-15, so incident ids carry a fixed year).
    public static let epochMillis: Int64 = 1_800_000_000_000

    /// How far this node's wall clock is from true (virtual) time, in milliseconds.
    public var offsetMillis: Int64 = 0

    /// A clock showing true time.
    public init() {}

    /// The node's wall-clock reading at virtual time `virtualMillis`.
    public func now(at virtualMillis: Int64) -> Timestamp {
        Timestamp(unixMillis: Self.epochMillis + virtualMillis + offsetMillis)
    }

    /// The virtual time at which this node's wall clock shows `wall` (for timers the node sets in
    /// its own wall-clock terms).
    public func virtualTime(of wall: Timestamp) -> Int64 {
        wall.unixMillis - Self.epochMillis - offsetMillis
    }
}

extension SeededRandom {
    /// A uniform integer in `range`, drawn from this generator (so runs replay from their seed).
    public mutating func int(in range: ClosedRange<Int64>) -> Int64 {
        Int64.random(in: range, using: &self)
    }

    /// A uniform index below `count` (which must be positive).
    public mutating func index(_ count: Int) -> Int {
        Int.random(in: 0..<count, using: &self)
    }

    /// True with probability `p`.
    public mutating func chance(_ p: Double) -> Bool {
        p > 0 && Double.random(in: 0..<1, using: &self) < p
    }
}
