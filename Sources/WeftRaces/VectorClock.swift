/// A vector clock: one logical time per thread slot (threads are numbered densely in the order
/// they start; slots are never reused). Entries past ``capacity`` read as 0.
final class VectorClock {
    private(set) var values: UnsafeMutablePointer<UInt32>
    private(set) var capacity: Int

    init(capacity: Int = 8) {
        self.capacity = max(capacity, 1)
        values = .allocate(capacity: self.capacity)
        values.initialize(repeating: 0, count: self.capacity)
    }

    deinit { values.deallocate() }

    @inline(__always)
    subscript(slot: Int) -> UInt32 {
        get { slot < capacity ? values[slot] : 0 }
        set {
            if slot >= capacity { grow(to: max(slot + 1, capacity * 2)) }
            values[slot] = newValue
        }
    }

    /// Grows to exactly `n` entries (joins copy capacities, so doubling here would compound).
    func grow(to n: Int) {
        guard n > capacity else { return }
        let p = UnsafeMutablePointer<UInt32>.allocate(capacity: n)
        p.initialize(from: values, count: capacity)
        (p + capacity).initialize(repeating: 0, count: n - capacity)
        values.deallocate()
        values = p
        capacity = n
    }

    /// self := self ⊔ other (pointwise maximum).
    func join(_ other: VectorClock) {
        if other.capacity > capacity { grow(to: other.capacity) }
        let o = other.values
        for i in 0..<other.capacity where o[i] > values[i] { values[i] = o[i] }
    }

    /// self := other.
    func assign(_ other: VectorClock) {
        if other.capacity > capacity { grow(to: other.capacity) }
        values.update(from: other.values, count: other.capacity)
        if capacity > other.capacity { (values + other.capacity).update(repeating: 0, count: capacity - other.capacity) }
    }

    var bytes: Int { capacity * MemoryLayout<UInt32>.stride }
}
