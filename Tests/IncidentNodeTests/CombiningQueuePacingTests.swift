import Foundation
import Synchronization
import Testing

@testable import IncidentNode

/// Pacing in the combining queue: after a large pass the next one waits for its turn, so it takes
/// more submissions; urgent submissions are not held by that wait, and never overtake one that
/// does not commute.
@Suite("Combining queue: pacing and urgent submissions")
struct CombiningQueuePacingTests {
    /// Records each pass (its items, and whether it ran inside another pass's `between` hook); the
    /// first pass is held until `release`, and calls its hook once released.
    final class Passes: Sendable {
        let log = Mutex<[(items: [Int], nested: Bool)]>([])
        let depth = Mutex(0)
        let gate = Gate()

        func pass(_ items: [Int], between: @Sendable () async -> Void) async -> [Int] {
            let nested = depth.withLock { d in
                defer { d += 1 }
                return d > 0
            }
            log.withLock { $0.append((items, nested)) }
            if !nested {
                await gate.wait()
                await between()
            }
            depth.withLock { $0 -= 1 }
            return items.map { -$0 }
        }

        func release() { gate.open() }

        var items: [[Int]] { log.withLock { $0.map(\.items) } }
        var nested: [Bool] { log.withLock { $0.map(\.nested) } }
    }

    static func queue(_ passes: Passes, pace: Duration) -> CombiningQueue<Int, Int> {
        CombiningQueue(itemsPerPass: 1_000, pace: { pace }, paceMinItems: 2) { items, between in
            await passes.pass(items, between: between)
        }
    }

    @Test("after a large pass the next starts no sooner than the pace, and takes everything queued meanwhile")
    func largePassesArePaced() async throws {
        let passes = Passes()
        let queue = Self.queue(passes, pace: .seconds(1))  // long enough to submit c and d under load
        let started = ContinuousClock.now
        try await pauseAfterALargePass(queue, passes)
        async let c = queue.submit([4])
        async let d = queue.submit([5])
        #expect(await c == [-4])
        #expect(await d == [-5])
        #expect(passes.items == [[1], [2, 3], [4, 5]], "c and d waited out the pause together")
        #expect(ContinuousClock.now - started >= .seconds(1))
    }

    @Test("an urgent submission runs during the pause, before the submissions that wait")
    func urgentRunsDuringThePause() async throws {
        let passes = Passes()
        let queue = Self.queue(passes, pace: .seconds(2))
        try await pauseAfterALargePass(queue, passes)
        let waiting = Task { await queue.submit([4, 5, 6], commutes: true) }  // paced: waits 2 s
        try await waitUntil { queue.waitingCount == 1 }
        #expect(await queue.submit([9], urgent: true, commutes: true) == [-9])
        #expect(queue.waitingCount == 1, "the paced submission still waits")
        #expect(passes.items == [[1], [2, 3], [9]])
        #expect(await waiting.value == [-4, -5, -6])
        #expect(passes.items == [[1], [2, 3], [9], [4, 5, 6]])
    }

    /// Which task ran a pass (set by the submitters of the test below).
    @TaskLocal static var submitter = ""

    @Test("an urgent submission arriving in the pause runs its pass on its own task, and the drain's next pass waits for it")
    func urgentBorrowsThePause() async throws {
        let passes = Passes()
        let ranOn = Mutex<[String]>([])
        let running = Mutex((now: 0, most: 0))
        let urgentGate = Gate()
        // A pause long enough for the two submissions below to arrive in it on a loaded machine.
        let pace: Duration = .seconds(2)
        let queue = CombiningQueue<Int, Int>(itemsPerPass: 1_000, pace: { pace }, paceMinItems: 2) { items, between in
            running.withLock { r in
                r.now += 1
                r.most = max(r.most, r.now)
            }
            ranOn.withLock { $0.append(Self.submitter) }
            if items == [9] { await urgentGate.wait() }  // the borrowed pass outlasts the pause
            let answers = await passes.pass(items, between: between)
            running.withLock { $0.now -= 1 }
            return answers
        }
        try await pauseAfterALargePass(queue, passes)
        let paced = Task { await queue.submit([4, 5], commutes: true) }
        try await waitUntil { queue.waitingCount == 1 }
        let urgent = Task { await Self.$submitter.withValue("urgent") { await queue.submit([9], urgent: true, commutes: true) } }
        try await waitUntil { ranOn.withLock { $0.count } == 3 }
        try await Task.sleep(for: pace + .milliseconds(200))  // past the pause: the drain would run [4, 5] now
        #expect(ranOn.withLock { $0.count } == 3, "the drain's pass started while the borrowed one ran")
        urgentGate.open()
        #expect(await urgent.value == [-9])
        #expect(await paced.value == [-4, -5])
        #expect(passes.items == [[1], [2, 3], [9], [4, 5]])
        #expect(ranOn.withLock { $0 } == ["", "", "urgent", ""], "the urgent pass ran on the submitter's task")
        #expect(running.withLock { $0.most } == 1, "two passes ran at once")
    }

    @Test("an urgent submission never overtakes a waiting one that does not commute")
    func urgentWaitsBehindNonCommuting() async throws {
        let passes = Passes()
        let queue = Self.queue(passes, pace: .seconds(2))  // the resolve must arrive in the pause
        try await pauseAfterALargePass(queue, passes)
        async let resolve = queue.submit([7], commutes: false)
        try await waitUntil { queue.waitingCount == 1 }
        async let trigger = queue.submit([9], urgent: true, commutes: true)
        #expect(await trigger == [-9])
        #expect(await resolve == [-7])
        #expect(passes.items == [[1], [2, 3], [7, 9]], "the urgent trigger went in the paced pass, after the resolve")
    }

    @Test("a pause that finds an urgent submission it may not take sleeps rather than spins")
    func pauseDoesNotSpinOnABlockedUrgent() async throws {
        let passes = Passes()
        let queue = CombiningQueue<Int, Int>(itemsPerPass: 2, pace: { .milliseconds(300) }, paceMinItems: 2) { items, between in
            await passes.pass(items, between: between)
        }
        async let a = queue.submit([1])
        try await waitUntil { passes.items.count == 1 }
        async let b = queue.submit([2, 3])  // the next pass: two items, the bound
        async let resolve = queue.submit([7], commutes: false)
        try await waitUntil { queue.waitingCount == 2 }
        async let trigger = queue.submit([9], urgent: true, commutes: true)  // blocked by the resolve
        try await waitUntil { queue.waitingCount == 3 }
        passes.release()
        _ = await (a, b, resolve, trigger)
        #expect(passes.items == [[1], [2, 3], [7, 9]])
        #expect(queue.pauseWaits < 10, "the pause checked \(queue.pauseWaits) times: it spun on an urgent submission it could not take")
    }

    @Test("while pacing, a running pass of commuting submissions serves urgent ones at its hook; another pass does not")
    func runningPassServesUrgentAtItsHook() async throws {
        for commutes in [true, false] {
            let passes = Passes()
            let queue = Self.queue(passes, pace: .milliseconds(300))
            async let a = queue.submit([1, 2], commutes: commutes)
            try await waitUntil { passes.items.count == 1 }
            async let urgent = queue.submit([9], urgent: true, commutes: true)
            try await waitUntil { queue.waitingCount == 1 }
            passes.release()
            _ = await (a, urgent)
            #expect(passes.items == [[1, 2], [9]])
            #expect(passes.nested == [false, commutes], "served inside the running pass only when it commutes")
        }
    }

    /// Runs a first pass (held until released), then a large one behind it, after which the
    /// queue's drain pauses.
    private func pauseAfterALargePass(_ queue: CombiningQueue<Int, Int>, _ passes: Passes) async throws {
        async let a = queue.submit([1])
        try await waitUntil { passes.items.count == 1 }
        async let b = queue.submit([2, 3])
        try await waitUntil { queue.waitingCount == 1 }
        passes.release()
        #expect(await a == [-1])
        #expect(await b == [-2, -3])  // the drain's first pass is not paced
    }

    private func waitUntil(_ condition: () -> Bool) async throws {
        for _ in 0..<10_000 {
            if condition() { return }
            try await Task.sleep(for: .milliseconds(1))
        }
        Issue.record("condition not reached within 10 s")
    }
}
