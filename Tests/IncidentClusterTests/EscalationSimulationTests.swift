import Foundation
import IncidentCluster
import IncidentCore
import IncidentSimulation
import Testing

/// Escalation across a simulated cluster (`EscalationSimulation`): owners crash with steps pending,
/// nodes are cut off while incidents escalate — every due step fires, none is in the log twice,
/// copies converge, and every step fires within the failover bound.
@Suite("Escalation simulation: crashes and partitions")
struct EscalationSimulationTests {
    static let runs = Int(ProcessInfo.processInfo.environment["ESC_SIM_RUNS"] ?? "") ?? 60

    static func configuration(seed: UInt64) -> EscalationSimulation.Configuration {
        EscalationSimulation.Configuration(seed: seed) { key, members in Rendezvous.owner(of: key, among: members) }
    }

    @Test("trace one seed (ESC_SIM_SEED)", .enabled(if: ProcessInfo.processInfo.environment["ESC_SIM_SEED"] != nil))
    func traceOne() {
        var c = Self.configuration(seed: UInt64(ProcessInfo.processInfo.environment["ESC_SIM_SEED"]!)!)
        c.trace = true
        let r = EscalationSimulation.run(c)
        for line in r.trace { print(line) }
        print(r.failures)
    }

    @Test("owners crash with steps pending")
    func crashes() async {
        await offPool { runCrashes() }
    }

    private func runCrashes() {
        var fired = 0
        var worst: Int64 = 0
        for seed in 1...UInt64(Self.runs) {
            let r = EscalationSimulation.run(Self.configuration(seed: seed))
            #expect(r.failures.isEmpty, "seed \(seed): \(r.failures.prefix(5))")
            #expect(r.faults > 0)
            fired += r.stepsFired
            worst = max(worst, r.maxLatenessMillis)
        }
        print("escalation sim, crashes: \(Self.runs) seeds, \(fired) steps fired, worst lateness \(worst) ms")
        #expect(fired > Self.runs * 30)
    }

    @Test("a node is cut off while incidents escalate")
    func partitions() async {
        await offPool { runPartitions() }
    }

    private func runPartitions() {
        var fired = 0
        var duplicates = 0
        for seed in 1...UInt64(Self.runs) {
            var c = Self.configuration(seed: seed &+ 1_000_000)
            c.crashes = false
            c.partitions = true
            c.ackTimeoutMillis = nil  // both sides of a partition must see the same state to write the same steps
            let r = EscalationSimulation.run(c)
            #expect(r.failures.isEmpty, "seed \(seed): \(r.failures.prefix(5))")
            fired += r.stepsFired
            duplicates += r.duplicateFires
        }
        print("escalation sim, partitions: \(Self.runs) seeds, \(fired) steps fired, \(duplicates) fired on both sides and deduplicated")
        #expect(duplicates > 0, "the partitions produced no split-brain fires; the scenario tests nothing")
    }

    @Test("the checker catches a step written twice with different content")
    func checkerCatchesDoubles() async {
        await offPool { runCheckerCatchesDoubles() }
    }

    private func runCheckerCatchesDoubles() {
        // Non-deterministic step events (each owner stamps its own fire time) must be caught.
        var c = Self.configuration(seed: 7)
        c.crashes = false
        c.partitions = true
        c.ackTimeoutMillis = nil
        var caught = false
        for seed in 1...UInt64(20) where !caught {
            c.seed = seed &+ 1_000_000
            c.stampFireTime = true
            caught = !EscalationSimulation.run(c).failures.filter { $0.contains("twice") }.isEmpty
        }
        #expect(caught)
    }
}
