import Testing

@testable import IncidentCluster

@Suite struct ClusterModuleTests {
    @Test func wireVersionIsOne() { #expect(IncidentCluster.wireVersion == 1) }
}
