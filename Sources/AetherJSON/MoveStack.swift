/// A growable stack over manually managed storage whose elements can be moved
/// (not copied) out in bulk, avoiding retain/release traffic in the parser.
struct MoveStack<Element>: ~Copyable {
    private(set) var base: UnsafeMutablePointer<Element>
    private(set) var count = 0
    private var capacity: Int

    init(capacity: Int) {
        self.capacity = max(capacity, 1)
        base = .allocate(capacity: self.capacity)
    }

    deinit {
        base.deinitialize(count: count)
        base.deallocate()
    }

    var isEmpty: Bool {
        @inline(__always) get { count == 0 }
    }

    @inline(__always)
    mutating func push(_ element: consuming Element) {
        if count == capacity { grow() }
        (base + count).initialize(to: element)
        count += 1
    }

    @inline(never)
    mutating func grow() {
        let newCapacity = capacity * 2
        let newBase = UnsafeMutablePointer<Element>.allocate(capacity: newCapacity)
        newBase.moveInitialize(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    @inline(__always)
    mutating func popLast() -> Element {
        count -= 1
        return (base + count).move()
    }

    /// Destroys the elements from `start` on.
    @inline(__always)
    mutating func truncate(to start: Int) {
        (base + start).deinitialize(count: count - start)
        count = start
    }

    /// Moves the elements from `start` on into a new, exactly sized array.
    @inline(__always)
    mutating func popArray(from start: Int) -> [Element] {
        let n = count - start
        let source = base + start
        count = start
        var result: [Element] = []
        result.reserveCapacity(n)
        for k in 0..<n { result.append((source + k).move()) }
        return result
    }
}
