/// A binary min-heap: `push` and `pop` in O(log n), `peek` in O(1).
public struct MinHeap<Element: Comparable>: Sendable where Element: Sendable {
    private var items: [Element] = []

    /// An empty heap.
    public init() {}

    /// Number of elements.
    public var count: Int { items.count }
    /// Whether it is empty.
    public var isEmpty: Bool { items.isEmpty }
    /// The smallest element.
    public var peek: Element? { items.first }

    /// Adds an element.
    public mutating func push(_ e: Element) {
        items.append(e)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard items[i] < items[parent] else { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    /// Removes and returns the smallest element.
    public mutating func pop() -> Element? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let top = items.removeLast()
        var i = 0
        while true {
            let l = 2 * i + 1
            let r = l + 1
            var m = i
            if l < items.count && items[l] < items[m] { m = l }
            if r < items.count && items[r] < items[m] { m = r }
            guard m != i else { break }
            items.swapAt(i, m)
            i = m
        }
        return top
    }

    /// Removes everything.
    public mutating func removeAll() { items.removeAll(keepingCapacity: true) }
}
