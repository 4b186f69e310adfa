import Synchronization

/// Runs concurrent submissions through one `pass` at a time, each pass over everything that was
/// submitted while the previous one ran (flat combining).
///
/// Under load the work queues up here and is handled in ever larger passes, the way a group commit
/// grows with the load on the disk; with nothing running, a submission runs its own pass at once,
/// on its own task. A pass gets the submissions' items concatenated in arrival order and answers
/// one `Answer` per item, in the same order.
final class CombiningQueue<Item: Sendable, Answer: Sendable>: Sendable {
    private struct Waiting {
        var items: [Item]
        var continuation: CheckedContinuation<[Answer], Never>
    }

    private struct State {
        var waiting: [Waiting] = []
        var running = false
    }

    private let state = Mutex(State())
    private let pass: @Sendable ([Item]) async -> [Answer]
    /// A pass stops taking submissions once it holds this many items (the rest wait for the next).
    private let itemsPerPass: Int

    /// - Parameters:
    ///   - itemsPerPass: bounds one pass (and so the wait of the submissions behind it).
    ///   - pass: handles items in order; must answer exactly one `Answer` per item.
    init(itemsPerPass: Int, pass: @escaping @Sendable ([Item]) async -> [Answer]) {
        self.itemsPerPass = itemsPerPass
        self.pass = pass
    }

    /// Submissions queued behind the running pass.
    var waitingCount: Int { state.withLock { $0.waiting.count } }

    /// Handles `items` (alone, or in a pass with other submissions) and returns their answers.
    func submit(_ items: [Item]) async -> [Answer] {
        if items.isEmpty { return [] }
        let leads = state.withLock { s -> Bool in
            guard !s.running else { return false }
            s.running = true
            return true
        }
        if leads {
            let answers = await run(items)
            handOver()
            return answers
        }
        return await withCheckedContinuation { c in
            let starts = state.withLock { s -> Bool in
                s.waiting.append(Waiting(items: items, continuation: c))
                guard !s.running else { return false }
                s.running = true
                return true
            }
            if starts { Task { await self.drain() } }
        }
    }

    private func run(_ items: [Item]) async -> [Answer] {
        let answers = await pass(items)
        precondition(answers.count == items.count, "a combining pass answered \(answers.count) items of \(items.count)")
        return answers
    }

    /// After a submission's own pass: stop, or leave what queued meanwhile to a task of its own.
    private func handOver() {
        let more = state.withLock { s -> Bool in
            if s.waiting.isEmpty { s.running = false }
            return s.running
        }
        if more { Task { await self.drain() } }
    }

    /// Runs passes over the queued submissions until none is left.
    private func drain() async {
        while true {
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
            let answers = await run(taken.flatMap(\.items))
            var start = 0
            for w in taken {
                w.continuation.resume(returning: Array(answers[start..<start + w.items.count]))
                start += w.items.count
            }
        }
    }
}
