import Foundation

/// Runs each job on a thread of its own, off the cooperative pool (2 threads on 2 cores): the
/// seconds of CPU a simulation sweep takes must not starve the in-process nodes other suites run
/// in the same test process.
final class SimulationThreadExecutor: TaskExecutor {
    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let thread = Thread { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
        thread.stackSize = 8 << 20
        thread.start()
    }
}

private let simulationExecutor = SimulationThreadExecutor()

/// Runs a CPU-bound body off the cooperative pool, in the calling task.
func offPool<T>(_ body: () throws -> T) async rethrows -> T {
    try await withTaskExecutorPreference(simulationExecutor) { try body() }
}
