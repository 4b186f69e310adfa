import Foundation
import Testing

@testable import IncidentNode

#if canImport(Glibc)
import Glibc
#endif

/// Bulk work (large requests) runs off the cooperative pool, on the bulk executor's own threads at
/// a lower CPU priority, so the kernel and the pool both serve small requests first.
@Suite("Bulk executor")
struct BulkExecutorTests {
    /// The calling thread's name and nice value (on Linux, PRIO_PROCESS with 0 is the thread).
    static func currentThread() -> (name: String, nice: Int32) {
        let name = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? ""
        return (name, getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0))
    }

    @Test func workWithThePreferenceRunsOnTheBulkThreadsAtNiceNineteen() async {
        let outside = Self.currentThread()
        let inside = await withTaskExecutorPreference(BulkExecutor.shared) { Self.currentThread() }
        #expect(inside.name.hasPrefix("aether-bulk-"), "ran on \(inside.name)")
        #expect(inside.nice == 19)
        #expect(!outside.name.hasPrefix("aether-bulk-"))
    }

    @Test func manyTasksAllFinish() async {
        let total = await withTaskGroup(of: Int.self) { group in
            for n in 0..<2_000 { group.addTask(executorPreference: BulkExecutor.shared) { n } }
            return await group.reduce(0, +)
        }
        #expect(total == 1_999 * 2_000 / 2)
    }
}
