/// Runs `body` for the indices `0..<count` in at most `lanes` concurrent tasks (index `i` in lane
/// `i % lanes`, each lane in index order) and returns the results in index order.
///
/// For work on many independent incident actors in one request (the keys of an alert batch, the
/// incidents of a pushed batch): awaiting each actor in turn makes a request's latency the sum of
/// its actor hops; a few lanes overlap them without a task per item.
func inLanes<R: Sendable>(_ count: Int, lanes: Int = 8, _ body: @escaping @Sendable (Int) async -> R) async -> [R] {
    if count <= 1 || lanes <= 1 {
        var out: [R] = []
        out.reserveCapacity(count)
        for i in 0..<count { out.append(await body(i)) }
        return out
    }
    let n = min(lanes, count)
    return await withTaskGroup(of: [(Int, R)].self) { group in
        for lane in 0..<n {
            group.addTask {
                var part: [(Int, R)] = []
                var i = lane
                while i < count {
                    part.append((i, await body(i)))
                    i += n
                }
                return part
            }
        }
        var all = [R?](repeating: nil, count: count)
        for await part in group {
            for (i, r) in part { all[i] = r }
        }
        return all.map { $0! }
    }
}
