import IncidentCore
import Synchronization
import Testing

@testable import IncidentNode

/// Flat combining of concurrent ingest calls: submissions that arrive during a pass are handled
/// together in the next one, every submitter gets exactly its own answers, and concurrent triggers
/// for one key still make one incident counting every alert.
@Suite("Combining queue: concurrent submissions share passes")
struct CombiningQueueTests {
    /// A pass that records its sizes and can be held until released.
    final class Recorder: Sendable {
        let sizes = Mutex<[Int]>([])
        let gate = Gate()

        func pass(_ items: [Int]) async -> [Int] {
            sizes.withLock { $0.append(items.count) }
            await gate.wait()
            return items.map { $0 * 10 }
        }

        func release() { gate.open() }

        var started: Int { sizes.withLock { $0.count } }
    }

    @Test("submissions queued behind a running pass go in one pass; each gets its own answers in order")
    func queuedSubmissionsCombine() async throws {
        let recorder = Recorder()
        let queue = CombiningQueue<Int, Int>(itemsPerPass: 1_000) { items, _ in await recorder.pass(items) }
        try await withThrowingTaskGroup(of: (Int, [Int]).self) { group in
            group.addTask { (0, await queue.submit([1, 2])) }
            while recorder.started == 0 { await Task.yield() }  // the first pass runs, and is held
            for s in 1...10 {
                group.addTask { (s, await queue.submit([s * 100, s * 100 + 1, s * 100 + 2])) }
            }
            try await waitUntil { queue.waitingCount == 10 }
            recorder.release()
            var answers: [Int: [Int]] = [:]
            for try await (s, a) in group { answers[s] = a }
            #expect(answers[0] == [10, 20])
            for s in 1...10 { #expect(answers[s] == [s * 1000, s * 1000 + 10, s * 1000 + 20]) }
        }
        #expect(recorder.sizes.withLock { $0 } == [2, 30], "one pass for the first submission, one for the ten queued behind it")
    }

    @Test("a pass takes queued submissions only up to its item bound; the rest go in the next")
    func passesAreBounded() async throws {
        let recorder = Recorder()
        let queue = CombiningQueue<Int, Int>(itemsPerPass: 4) { items, _ in await recorder.pass(items) }
        try await withThrowingTaskGroup(of: [Int].self) { group in
            group.addTask { await queue.submit([0]) }
            while recorder.started == 0 { await Task.yield() }
            for s in 1...5 { group.addTask { await queue.submit([s, s]) } }
            try await waitUntil { queue.waitingCount == 5 }
            recorder.release()
            var total = 0
            for try await a in group { total += a.count }
            #expect(total == 11)
        }
        #expect(recorder.sizes.withLock { $0 } == [1, 4, 4, 2])
    }

    @Test("an empty submission answers at once without a pass")
    func emptySubmission() async {
        let recorder = Recorder()
        recorder.release()
        let queue = CombiningQueue<Int, Int>(itemsPerPass: 4) { items, _ in await recorder.pass(items) }
        #expect(await queue.submit([]).isEmpty)
        #expect(recorder.started == 0)
    }

    @Test("64 concurrent ingest calls for one key: one incident, one opening, every alert counted")
    func concurrentTriggersForOneKey() async throws {
        try await withNode { node in
            let service = node.runtime.service
            let results = try await withThrowingTaskGroup(of: [IncidentService.IngestResult].self) { group in
                for caller in 0..<64 {
                    group.addTask {
                        let alerts = (0..<10).map { n in
                            Alert(title: "disk full", dedupKey: n % 2 == 0 ? "shared-key" : "caller-\(caller)", source: "test")
                        }
                        return try await service.ingest(alerts, actor: "").0
                    }
                }
                var all: [IncidentService.IngestResult] = []
                for try await r in group { all += r }
                return all
            }
            let shared = results.filter { $0.dedupKey == "shared-key" }
            #expect(shared.count == 320)
            #expect(Set(shared.compactMap(\.incidentID)).count == 1, "every trigger attached to the one incident")
            #expect(shared.filter(\.created).count == 1, "exactly one alert opened it")
            let record = try await service.record(try #require(shared.first?.incidentID))
            #expect(record.incident.alertCount == 320)
            for caller in 0..<64 {
                let own = results.filter { $0.dedupKey == "caller-\(caller)" }
                #expect(own.count == 5 && Set(own.compactMap(\.incidentID)).count == 1 && own.filter(\.created).count == 1)
            }
        }
    }

    private func waitUntil(_ condition: () -> Bool) async throws {
        for _ in 0..<10_000 {
            if condition() { return }
            try await Task.sleep(for: .milliseconds(1))
        }
        Issue.record("condition not reached within 10 s")
    }
}

/// Holds whoever waits on it until it is opened (then lets everyone through).
final class Gate: Sendable {
    private let state = Mutex<(open: Bool, waiter: CheckedContinuation<Void, Never>?)>((false, nil))

    /// Returns once the gate is open (at once if it is).
    func wait() async {
        await withCheckedContinuation { c in
            let wait = state.withLock { g -> Bool in
                guard !g.open else { return false }
                g.waiter = c
                return true
            }
            if !wait { c.resume() }
        }
    }

    /// Opens the gate for good, letting the one waiting through.
    func open() {
        let waiter = state.withLock { g in
            g.open = true
            defer { g.waiter = nil }
            return g.waiter
        }
        waiter?.resume()
    }
}
