import IncidentCore
import Testing
@testable import IncidentCluster

@Test func debugJoin() {
    var sim = MembershipSimulationTests.formCluster(9, seed: 9069)
    print("formed at \((sim.now - MembershipSimulator.start).wholeMilliseconds)")
    for _ in 0..<300 {
        if sim.converged() { break }
        var missing: [String] = []
        for i in 0..<9 {
            let known = Set(sim.nodes[i].instance.members.filter { $0.state == .alive }.map(\.node.name))
            for j in 0..<9 where !known.contains("node\(j)") { missing.append("\(i)∌\(j)") }
            if !sim.nodes[i].instance.hasJoined { missing.append("\(i) not joined") }
        }
        print("t=\((sim.now - MembershipSimulator.start).wholeMilliseconds) \(missing.joined(separator: " ")) queue=\(sim.nodes.map { $0.instance.broadcasts.count })")
        sim.run(for: .milliseconds(100))
    }
}
