import PosixIO
import Synchronization

/// Runs concurrent submissions through one `pass` at a time, each pass over everything that was
/// submitted while the previous one ran (flat combining).
///
/// Under load the work queues up here and is handled in ever larger passes, the way a group commit
/// grows with the load on the disk; with nothing running, a submission runs its own pass at once,
/// on its own task. A pass gets the submissions' items concatenated in arrival order and answers
/// one `Answer` per item, in the same order.
///
/// **Pacing.** With a `pace` (the cluster's: every event a pass makes is also pushed to and applied
/// on each peer), a pass of at least `paceMinItems` items is followed by a pause: the next pass
/// starts no sooner than `pace` after it started, so it takes more submissions and makes fewer
/// events per alert — under a storm the nodes spend their CPU on alerts rather than on per-event
/// overhead, and queues stay short. *Urgent* submissions (small, and free to overtake: see
/// `submit`) are not paced: during the pause one arriving runs a pass of its own at once, on its
/// own task (it *borrows* the pause: the drain waits for it before its next pass), and a running
/// pass whose submissions all commute serves them whenever it calls its `between` hook.
final class CombiningQueue<Item: Sendable, Answer: Sendable>: Sendable {
    private struct Waiting {
        var items: [Item]
        var continuation: CheckedContinuation<[Answer], Never>
        var urgent: Bool
        var commutes: Bool
    }

    private struct State {
        var waiting: [Waiting] = []
        var running = false
        /// The drain pausing between passes; resumed early by an urgent submission.
        var pause: CheckedContinuation<Void, Never>?
        /// Counts the pause's waits, so a timer only ends the wait it was set for.
        var pauseNumber: UInt64 = 0
        /// The drain is in a pacing pause: an urgent submission may borrow it.
        var pausing = false
        /// Someone runs a pass of urgent submissions in the pause (or at a running pass's hook).
        var borrowed = false
        /// The drain, waiting for a borrowed pause to end before its next pass.
        var borrowEnd: CheckedContinuation<Void, Never>?

        /// How many submissions lead the queue with no non-commuting one among them: the urgent
        /// ones there may overtake (an urgent submission always commutes).
        var overtakable: Int { waiting.prefix(while: \.commutes).count }

        /// Whether an urgent submission waits with no non-commuting one ahead of it.
        var hasTakeableUrgent: Bool { waiting[..<overtakable].contains(where: \.urgent) }

        /// Takes the urgent submissions that may overtake the rest.
        mutating func takeUrgent() -> [Waiting] {
            let free = waiting[..<overtakable]
            let taken = free.filter(\.urgent)
            if !taken.isEmpty { waiting = free.filter { !$0.urgent } + waiting[free.endIndex...] }
            return taken
        }
    }

    private let state = Mutex(State())
    private let pass: @Sendable ([Item], _ between: @Sendable () async -> Void) async -> [Answer]
    /// A pass stops taking submissions once it holds this many items (the rest wait for the next).
    private let itemsPerPass: Int
    /// The least time between the starts of two passes after a large one (zero: no pacing).
    private let pace: @Sendable () -> Duration
    private let paceMinItems: Int

    /// - Parameters:
    ///   - itemsPerPass: bounds one pass (and so the wait of the submissions behind it).
    ///   - pace: read before each pass that follows a large one; zero turns pacing off.
    ///   - paceMinItems: the size from which a pass is followed by a pause.
    ///   - pass: handles items in order; must answer exactly one `Answer` per item. It may call
    ///     `between` at points where urgent submissions can be handled before it goes on.
    init(
        itemsPerPass: Int, pace: @escaping @Sendable () -> Duration = { .zero }, paceMinItems: Int = 256,
        pass: @escaping @Sendable ([Item], _ between: @Sendable () async -> Void) async -> [Answer]
    ) {
        self.itemsPerPass = itemsPerPass
        self.pace = pace
        self.paceMinItems = paceMinItems
        self.pass = pass
    }

    /// Submissions queued behind the running pass.
    var waitingCount: Int { state.withLock { $0.waiting.count } }

    /// How many times a pause has checked whether to sleep (tests: a pause must not spin).
    var pauseWaits: UInt64 { state.withLock { $0.pauseNumber } }

    /// Handles `items` (alone, or in a pass with other submissions) and returns their answers.
    /// - Parameters:
    ///   - urgent: not held by pacing: run during a pause, ahead of the submissions that wait.
    ///   - commutes: the outcome is the same whichever order this and other commuting submissions
    ///     run in. An urgent submission never overtakes one that does not commute.
    func submit(_ items: [Item], urgent: Bool = false, commutes: Bool = false) async -> [Answer] {
        precondition(!urgent || commutes, "an urgent submission must commute: it may overtake others")
        if items.isEmpty { return [] }
        let leads = state.withLock { s -> Bool in
            guard !s.running else { return false }
            s.running = true
            return true
        }
        if leads {
            let started = monotonicNanos()
            let answers = await run(items, commutes: commutes)
            handOver(lastStart: started, lastSize: items.count)
            return answers
        }
        if urgent, let others = borrowPause() {
            // The drain is pausing: run this submission's pass now, on this task, with the other
            // urgent ones waiting — sparing it the wake-up of the drain and the queue before it.
            let answers = await run(items + others.flatMap(\.items), commutes: false)
            Self.answer(others, from: answers, startingAt: items.count)
            await endBorrow()
            return Array(answers[..<items.count])
        }
        return await withCheckedContinuation { c in
            let (starts, pause) = state.withLock { s -> (Bool, CheckedContinuation<Void, Never>?) in
                s.waiting.append(Waiting(items: items, continuation: c, urgent: urgent, commutes: commutes))
                guard !s.running else {
                    guard urgent, !s.borrowed, s.hasTakeableUrgent else { return (false, nil) }
                    defer { s.pause = nil }
                    return (false, s.pause)
                }
                s.running = true
                return (true, nil)
            }
            pause?.resume()
            if starts { Task { await self.drain(lastStart: 0, lastSize: 0) } }
        }
    }

    /// Takes the pause for an urgent submission arriving now, with the urgent ones already waiting;
    /// nil when the drain is not pausing, the pause is taken, or a non-commuting submission waits.
    private func borrowPause() -> [Waiting]? {
        state.withLock { s in
            guard s.running, s.pausing, !s.borrowed, s.overtakable == s.waiting.count else { return nil }
            s.borrowed = true
            return s.takeUrgent()
        }
    }

    /// Ends a borrowed pause: first runs the urgent submissions that came meanwhile, then lets the
    /// drain go on if it waits.
    private func endBorrow() async {
        while true {
            var drain: CheckedContinuation<Void, Never>?
            let more = state.withLock { s -> [Waiting] in
                let taken = s.takeUrgent()
                if taken.isEmpty {
                    s.borrowed = false
                    if let waiting = s.borrowEnd {
                        s.borrowEnd = nil
                        s.pausing = false
                        drain = waiting
                    }
                }
                return taken
            }
            if more.isEmpty {
                drain?.resume()
                return
            }
            await runAndAnswer(more, commutes: false)
        }
    }

    /// The drain, after its pause: waits for a borrowed pause to end, and ends the pause.
    private func awaitBorrowEnd() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let free = state.withLock { s -> Bool in
                guard s.borrowed else {
                    s.pausing = false
                    return true
                }
                s.borrowEnd = c
                return false
            }
            if free { c.resume() }
        }
    }

    private static func answer(_ taken: [Waiting], from answers: [Answer], startingAt first: Int) {
        var start = first
        for w in taken {
            w.continuation.resume(returning: Array(answers[start..<start + w.items.count]))
            start += w.items.count
        }
    }

    /// Runs one pass; while pacing is on, a pass of commuting submissions serves urgent ones
    /// between its steps.
    private func run(_ items: [Item], commutes: Bool) async -> [Answer] {
        let answers: [Answer]
        if commutes && pace() > .zero {
            answers = await pass(items) { await self.serveUrgent() }
        } else {
            answers = await pass(items) {}
        }
        precondition(answers.count == items.count, "a combining pass answered \(answers.count) items of \(items.count)")
        return answers
    }

    /// After a submission's own pass (started at `lastStart`, of `lastSize` items): stop, or leave
    /// what queued meanwhile to a task of its own (which paces after that pass too).
    private func handOver(lastStart: UInt64, lastSize: Int) {
        let more = state.withLock { s -> Bool in
            if s.waiting.isEmpty { s.running = false }
            return s.running
        }
        if more { Task { await self.drain(lastStart: lastStart, lastSize: lastSize) } }
    }

    /// Runs passes over the queued submissions until none is left, pausing after large ones (the
    /// first pause follows the pass that started at `lastStart` with `lastSize` items, if any).
    private func drain(lastStart: UInt64, lastSize: Int) async {
        var lastStart = lastStart
        var lastSize = lastSize
        while true {
            if lastSize >= paceMinItems {
                let pace = pace()
                if pace > .zero {
                    await pause(until: lastStart + UInt64(pace.wholeMilliseconds) * 1_000_000)
                    await awaitBorrowEnd()
                }
            }
            let taken = state.withLock { s -> [Waiting] in
                guard !s.waiting.isEmpty else {
                    s.running = false
                    return []
                }
                var count = 0
                var end = 0
                while end < s.waiting.count, end == 0 || count + s.waiting[end].items.count <= itemsPerPass {
                    count += s.waiting[end].items.count
                    end += 1
                }
                defer { s.waiting.removeFirst(end) }
                return Array(s.waiting[..<end])
            }
            if taken.isEmpty { return }
            lastStart = monotonicNanos()
            lastSize = taken.reduce(0) { $0 + $1.items.count }
            await runAndAnswer(taken, commutes: taken.allSatisfy(\.commutes))
        }
    }

    /// Waits until `deadline` (monotonic ns), running each urgent submission that arrives meanwhile.
    private func pause(until deadline: UInt64) async {
        state.withLock { $0.pausing = true }
        while monotonicNanos() < deadline {
            if await serveUrgent() { continue }
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let number = state.withLock { s -> UInt64? in
                    s.pauseNumber += 1
                    if !s.borrowed && s.hasTakeableUrgent { return nil }
                    s.pause = c
                    return s.pauseNumber
                }
                guard let number else {
                    c.resume()
                    return
                }
                let now = monotonicNanos()
                let left = deadline > now ? deadline - now : 0
                Task {
                    try? await Task.sleep(nanoseconds: left)
                    let waiter = self.state.withLock { s -> CheckedContinuation<Void, Never>? in
                        guard s.pauseNumber == number else { return nil }
                        defer { s.pause = nil }
                        return s.pause
                    }
                    waiter?.resume()
                }
            }
        }
    }

    /// Handles, in one pass, the urgent submissions that no non-commuting one waits ahead of (from
    /// a pause, or from a running pass of commuting items), unless someone else does already;
    /// returns whether there were any.
    @discardableResult
    private func serveUrgent() async -> Bool {
        let urgent = state.withLock { s -> [Waiting] in
            guard !s.borrowed else { return [] }
            let taken = s.takeUrgent()
            if !taken.isEmpty { s.borrowed = true }
            return taken
        }
        if urgent.isEmpty { return false }
        await runAndAnswer(urgent, commutes: false)
        await endBorrow()
        return true
    }

    private func runAndAnswer(_ taken: [Waiting], commutes: Bool) async {
        Self.answer(taken, from: await run(taken.flatMap(\.items), commutes: commutes), startingAt: 0)
    }
}
