import Testing

/// Every suite that binds ports or starts a runtime nests in here, so they run one at a time
/// (`.serialized` applies to nested suites too): timing checks stay meaningful on 2 cores.
@Suite(.serialized) struct NodeTests {}
