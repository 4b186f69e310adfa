import PosixIO

#if canImport(Glibc)
import Glibc
#endif

/// Runs the CPU-heavy work of large requests — decoding a batch of alerts, its ingest pass, its
/// reply — on threads of its own at the lowest CPU priority (`nice` 19), off Swift's cooperative pool.
///
/// Under an alert storm the pool's two threads would otherwise be busy with millisecond-long bulk
/// jobs, and every step of a single alert's acknowledgement (a request read, a fsync done, a peer's
/// answer) would queue behind them; with three nodes on two cores, the kernel would also share the
/// cores evenly between bulk and urgent threads. Here the bulk work yields to everything else, and
/// still gets all the CPU nothing else wants. Work joins it through task executor preference
/// (`withTaskExecutorPreference`), so a bulk request's actor calls run here too.
///
/// Nice 19 rather than 10: at 10 the bulk threads still took a share of a busy core from the
/// acknowledgement path, and when the machine slowed a single alert's p99 under the half-rate
/// storm was over 20 ms (24–73 ms) in half of ten scratch runs; at 19, in one of ten (Docs/PERFORMANCE.md).
final class BulkExecutor: TaskExecutor, @unchecked Sendable {
    // @unchecked: `jobs` and `head` are accessed only while holding `lock`.

    /// The executor every node of this process shares.
    static let shared = BulkExecutor(threads: 2, nice: 19)

    private let lock = ConditionLock()
    private nonisolated(unsafe) var jobs: [UnownedJob] = []
    private nonisolated(unsafe) var head = 0

    /// Starts `threads` threads at `nice`.
    init(threads: Int, nice: Int32) {
        for i in 0..<threads {
            startThread(name: "aether-bulk-\(i)") {
                // On Linux, PRIO_PROCESS with 0 sets the calling thread's nice value only.
                _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, nice)
                self.work()
            }
        }
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        lock.withLock {
            jobs.append(job)
            lock.signal()
        }
    }

    private func work() {
        while true {
            let job: UnownedJob = lock.withLock {
                while head == jobs.count { lock.wait() }
                let job = jobs[head]
                head += 1
                if head >= 1024 && head * 2 >= jobs.count {  // drop the taken prefix now and then
                    jobs.removeFirst(head)
                    head = 0
                }
                return job
            }
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
