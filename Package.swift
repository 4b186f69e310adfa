// swift-tools-version:6.0
import PackageDescription

/// Aether: an incident-management cluster. Dependencies point inwards:
/// IncidentCore (pure domain) ← IncidentStorage / AdminProtocol ← IncidentNode ← executables.
let package = Package(
    name: "Aether",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "aetherd", targets: ["aetherd"]),
        .executable(name: "aether", targets: ["aether"]),
    ],
    targets: [
        .target(name: "CEpoll"),
        .target(name: "IncidentCore"),
        .target(name: "AetherJSON"),
        .target(name: "PosixIO", dependencies: ["CEpoll"]),
        .target(name: "IncidentStorage", dependencies: ["IncidentCore", "PosixIO"]),
        .target(name: "AdminProtocol", dependencies: ["IncidentCore", "AetherJSON"]),
        .target(name: "IncidentCluster", dependencies: ["IncidentCore", "PosixIO"]),
        .target(name: "IncidentSimulation", dependencies: ["IncidentCore", "IncidentStorage", "IncidentCluster"]),
        .target(
            name: "IncidentNode",
            dependencies: ["IncidentCore", "IncidentStorage", "IncidentCluster", "AdminProtocol", "AetherJSON", "PosixIO"]
        ),
        .target(name: "AetherCLI", dependencies: ["AdminProtocol", "AetherJSON", "PosixIO", "IncidentCore", "IncidentCluster"]),
        .executableTarget(name: "aetherd", dependencies: ["IncidentNode", "PosixIO"]),
        .executableTarget(name: "aether", dependencies: ["AetherCLI"]),
        .testTarget(name: "IncidentCoreTests", dependencies: ["IncidentCore"]),
        .testTarget(name: "AetherJSONTests", dependencies: ["AetherJSON", "IncidentCore"]),
        .testTarget(name: "IncidentClusterTests", dependencies: ["IncidentCluster", "IncidentSimulation", "IncidentCore"]),
        .testTarget(
            name: "IncidentStorageTests",
            dependencies: ["IncidentStorage", "IncidentSimulation", "IncidentCore", "PosixIO"]
        ),
        .testTarget(name: "AdminProtocolTests", dependencies: ["AdminProtocol", "AetherJSON", "IncidentCore"]),
        .testTarget(
            name: "IncidentNodeTests",
            dependencies: ["IncidentNode", "AetherCLI", "AdminProtocol", "AetherJSON", "PosixIO", "IncidentCore"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
