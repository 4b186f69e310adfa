import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Runs each job on a thread of its own, off the cooperative pool (2 threads on 2 cores), at the
/// lowest CPU priority (`nice` 19 for that thread). A simulation sweep is seconds of CPU on up to
/// 16 threads at once: on the pool it starved the in-process nodes of other suites; off the pool
/// at normal priority it still took nine tenths of the CPU from the pool's two threads, and an
/// in-process node took 26 s to answer its first request (a probe, in the full parallel run).
final class SimulationThreadExecutor: TaskExecutor {
    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let thread = Thread {
            // On Linux, PRIO_PROCESS with 0 sets the calling thread's nice value only.
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 19)
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
        thread.stackSize = 8 << 20
        thread.start()
    }
}

private let simulationExecutor = SimulationThreadExecutor()

/// Runs a CPU-bound body off the cooperative pool, in the calling task.
func offPool<T>(_ body: () throws -> T) async rethrows -> T {
    try await withTaskExecutorPreference(simulationExecutor) { try body() }
}
