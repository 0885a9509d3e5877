/// A hash map from a pair of token ids to a 64-bit value: the merge table (pair -> rank and merged id)
/// and the trainer's pair index. The BPE inner loop does one lookup per adjacent pair, so this is an
/// open-addressing table of plain integers (no hashing protocol, no optionals in the probe loop).
/// Not thread-safe to mutate; a table that is never mutated after it is built may be shared.
final class PairTable: @unchecked Sendable {
    /// Marks an empty slot. A real key never has it: token ids are below 2^31.
    static let emptyKey = UInt64.max

    private(set) var count = 0
    private var mask: Int
    private var keys: UnsafeMutablePointer<UInt64>
    private var values: UnsafeMutablePointer<UInt64>

    init(minimumCapacity: Int = 1024) {
        var slotCount = 16
        while slotCount < minimumCapacity * 2 { slotCount <<= 1 }
        mask = slotCount - 1
        keys = .allocate(capacity: slotCount)
        keys.initialize(repeating: PairTable.emptyKey, count: slotCount)
        values = .allocate(capacity: slotCount)
        values.initialize(repeating: 0, count: slotCount)
    }

    deinit {
        keys.deallocate()
        values.deallocate()
    }

    @inline(__always) static func key(_ left: UInt32, _ right: UInt32) -> UInt64 {
        UInt64(left) << 32 | UInt64(right)
    }

    /// Fibonacci hashing: the high bits of key * 2^64/phi spread consecutive ids well.
    @inline(__always) private func slot(for key: UInt64) -> Int {
        let h = (key ^ (key >> 29)) &* 0x9E37_79B9_7F4A_7C15
        return Int(truncatingIfNeeded: h >> 32) & mask
    }

    /// The value stored for `key`, or `missing`.
    @inline(__always)
    func get(_ key: UInt64, missing: UInt64) -> UInt64 {
        var s = slot(for: key)
        while true {
            let k = keys[s]
            if k == key { return values[s] }
            if k == PairTable.emptyKey { return missing }
            s = (s + 1) & mask
        }
    }

    /// Stores `value` for `key`, replacing any earlier value. Returns false when the key was present.
    @discardableResult
    func set(_ key: UInt64, _ value: UInt64) -> Bool {
        var s = slot(for: key)
        while true {
            let k = keys[s]
            if k == key { values[s] = value; return false }
            if k == PairTable.emptyKey { break }
            s = (s + 1) & mask
        }
        keys[s] = key
        values[s] = value
        count += 1
        if count * 2 > mask + 1 { grow() }
        return true
    }

    private func grow() {
        let oldKeys = keys
        let oldValues = values
        let oldCount = mask + 1
        let newCount = oldCount * 2
        mask = newCount - 1
        keys = .allocate(capacity: newCount)
        keys.initialize(repeating: PairTable.emptyKey, count: newCount)
        values = .allocate(capacity: newCount)
        values.initialize(repeating: 0, count: newCount)
        for i in 0..<oldCount where oldKeys[i] != PairTable.emptyKey {
            var s = slot(for: oldKeys[i])
            while keys[s] != PairTable.emptyKey { s = (s + 1) & mask }
            keys[s] = oldKeys[i]
            values[s] = oldValues[i]
        }
        oldKeys.deallocate()
        oldValues.deallocate()
    }
}
