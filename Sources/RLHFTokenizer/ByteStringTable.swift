#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A hash map from byte strings to `UInt32` values, looked up by a pointer into the text being encoded.
///
/// Why not `[[UInt8]: UInt32]`: every lookup would first copy the piece into a new array. Here keys are
/// copied once into one arena, slots hold (hash, entry) so most mismatches are rejected without touching
/// the key, and lookups allocate nothing. Open addressing with linear probing, load factor <= 1/2.
/// Not thread-safe to mutate; a table that is never mutated after it is built may be shared.
final class ByteStringTable: @unchecked Sendable {
    private(set) var count = 0
    private var mask: Int
    /// (hash high 32 bits) << 32 | (entry + 1); 0 = empty.
    private var slots: UnsafeMutablePointer<UInt64>
    private var keyOffsets: UnsafeMutablePointer<UInt32>
    private var keyLengths: UnsafeMutablePointer<UInt32>
    private var values: UnsafeMutablePointer<UInt32>
    private var entryCapacity: Int
    private var arena: UnsafeMutablePointer<UInt8>
    private var arenaCount = 0
    private var arenaCapacity: Int

    init(minimumCapacity: Int = 1024) {
        var slotCount = 16
        while slotCount < minimumCapacity * 2 { slotCount <<= 1 }
        mask = slotCount - 1
        slots = .allocate(capacity: slotCount)
        slots.initialize(repeating: 0, count: slotCount)
        entryCapacity = slotCount / 2
        keyOffsets = .allocate(capacity: entryCapacity)
        keyLengths = .allocate(capacity: entryCapacity)
        values = .allocate(capacity: entryCapacity)
        arenaCapacity = max(64, minimumCapacity * 8)
        arena = .allocate(capacity: arenaCapacity)
    }

    deinit {
        slots.deallocate()
        keyOffsets.deallocate()
        keyLengths.deallocate()
        values.deallocate()
        arena.deallocate()
    }

    /// Bytes held by the table (for cache limits).
    var arenaBytes: Int { arenaCount }

    /// A fast 64-bit hash of short byte strings, in the style of wyhash: the bytes are read with at most
    /// three overlapping loads for keys up to 16 bytes (most pieces), 8 at a time beyond, never past the
    /// end, then mixed with multiply-xorshift. Deterministic, so encodings never depend on a per-process
    /// seed. Measured (callgrind, encoding the HH texts): a byte-at-a-time tail cost 3x the instructions.
    @inline(__always)
    static func hash(_ p: UnsafeRawPointer, _ n: Int) -> UInt64 {
        let (a, b) = words(p, n)
        var h = (a ^ 0x243F_6A88_85A3_08D3) &* 0x9FB2_1C65_1E98_DF25
        h ^= (b ^ UInt64(truncatingIfNeeded: n)) &* 0xD6E8_FEB8_6659_FD93
        if n > 16 {
            var i = 8
            while i < n - 8 {  // the middle; the first and last 8 bytes are in a and b
                h = (h ^ load64(p.assumingMemoryBound(to: UInt8.self) + i)) &* 0x9FB2_1C65_1E98_DF25
                h ^= h >> 29
                i += 8
            }
        }
        h ^= h >> 32
        h = h &* 0xD6E8_FEB8_6659_FD93
        h ^= h >> 29
        return h
    }

    /// Two words that, with the length, identify keys of up to 16 bytes: the first and last 8 bytes
    /// (overlapping when shorter), the first and last 4, or the first, middle and last byte.
    @inline(__always)
    static func words(_ raw: UnsafeRawPointer, _ n: Int) -> (UInt64, UInt64) {
        let p = raw.assumingMemoryBound(to: UInt8.self)
        if n >= 8 { return (load64(p), load64(p + (n - 8))) }
        if n >= 4 { return (UInt64(load32(p)), UInt64(load32(p + (n - 4)))) }
        if n > 0 { return (UInt64(p[0]) << 16 | UInt64(p[n >> 1]) << 8 | UInt64(p[n - 1]), 0) }
        return (0, 0)
    }

    /// Little-endian loads from any alignment, written bytewise: LLVM combines them into one `mov`
    /// (the generic `loadUnaligned` was measured not to inline here, costing a call per load).
    @inline(__always) static func load32(_ p: UnsafePointer<UInt8>) -> UInt32 {
        UInt32(p[0]) | UInt32(p[1]) << 8 | UInt32(p[2]) << 16 | UInt32(p[3]) << 24
    }

    @inline(__always) static func load64(_ p: UnsafePointer<UInt8>) -> UInt64 {
        UInt64(load32(p)) | UInt64(load32(p + 4)) << 32
    }

    /// Byte equality of two strings of length n, without a call to memcmp for the short ones.
    @inline(__always)
    static func equal(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Bool {
        if n <= 16 {
            // words() covers every byte of a key this short.
            let (a0, a1) = words(a, n)
            let (b0, b1) = words(b, n)
            return a0 == b0 && a1 == b1
        }
        return memcmp(a, b, n) == 0
    }

    /// The entry holding `key`, if any.
    @inline(__always)
    func find(_ key: UnsafeRawPointer, _ length: Int) -> Int? {
        let h = ByteStringTable.hash(key, length)
        let tag = h >> 32
        var slot = Int(truncatingIfNeeded: h) & mask
        while true {
            let s = slots[slot]
            if s == 0 { return nil }
            if s >> 32 == tag {
                let entry = Int(truncatingIfNeeded: s & 0xFFFF_FFFF) - 1
                if Int(keyLengths[entry]) == length,
                   ByteStringTable.equal(arena + Int(keyOffsets[entry]), key, length) {
                    return entry
                }
            }
            slot = (slot + 1) & mask
        }
    }

    /// Inserts `key` with `value` unless present; returns its entry and whether it was new.
    @discardableResult
    func insert(_ key: UnsafeRawPointer, _ length: Int, value: UInt32) -> (entry: Int, inserted: Bool) {
        let h = ByteStringTable.hash(key, length)
        let tag = h >> 32
        var slot = Int(truncatingIfNeeded: h) & mask
        while true {
            let s = slots[slot]
            if s == 0 { break }
            if s >> 32 == tag {
                let entry = Int(truncatingIfNeeded: s & 0xFFFF_FFFF) - 1
                if Int(keyLengths[entry]) == length,
                   ByteStringTable.equal(arena + Int(keyOffsets[entry]), key, length) {
                    return (entry, false)
                }
            }
            slot = (slot + 1) & mask
        }
        let entry = count
        if arenaCount + length > arenaCapacity { growArena(to: arenaCount + length) }
        (arena + arenaCount).update(from: key.assumingMemoryBound(to: UInt8.self), count: length)
        keyOffsets[entry] = UInt32(arenaCount)
        keyLengths[entry] = UInt32(length)
        values[entry] = value
        arenaCount += length
        slots[slot] = tag << 32 | UInt64(entry + 1)
        count += 1
        if count >= entryCapacity { growSlots() }
        return (entry, true)
    }

    @discardableResult
    func insert(_ key: [UInt8], value: UInt32) -> (entry: Int, inserted: Bool) {
        key.withUnsafeBytes { insert($0.baseAddress ?? UnsafeRawPointer(arena), $0.count, value: value) }
    }

    func find(_ key: [UInt8]) -> Int? {
        key.withUnsafeBytes { find($0.baseAddress ?? UnsafeRawPointer(arena), $0.count) }
    }

    @inline(__always) func value(_ entry: Int) -> UInt32 { values[entry] }
    @inline(__always) func setValue(_ entry: Int, _ value: UInt32) { values[entry] = value }

    /// The key of an entry, valid until the next insertion.
    func key(_ entry: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: arena + Int(keyOffsets[entry]), count: Int(keyLengths[entry]))
    }

    /// Empties the table, keeping its memory.
    func removeAll() {
        slots.update(repeating: 0, count: mask + 1)
        count = 0
        arenaCount = 0
    }

    private func growArena(to needed: Int) {
        var newCapacity = arenaCapacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        bigger.update(from: arena, count: arenaCount)
        arena.deallocate()
        arena = bigger
        arenaCapacity = newCapacity
    }

    private func growSlots() {
        let newSlotCount = (mask + 1) * 2
        let newSlots = UnsafeMutablePointer<UInt64>.allocate(capacity: newSlotCount)
        newSlots.initialize(repeating: 0, count: newSlotCount)
        let newMask = newSlotCount - 1
        for entry in 0..<count {
            let h = ByteStringTable.hash(arena + Int(keyOffsets[entry]), Int(keyLengths[entry]))
            var slot = Int(truncatingIfNeeded: h) & newMask
            while newSlots[slot] != 0 { slot = (slot + 1) & newMask }
            newSlots[slot] = (h >> 32) << 32 | UInt64(entry + 1)
        }
        slots.deallocate()
        slots = newSlots
        mask = newMask
        let newEntryCapacity = newSlotCount / 2
        keyOffsets = grown(keyOffsets, from: count, to: newEntryCapacity)
        keyLengths = grown(keyLengths, from: count, to: newEntryCapacity)
        values = grown(values, from: count, to: newEntryCapacity)
        entryCapacity = newEntryCapacity
    }

    private func grown(_ old: UnsafeMutablePointer<UInt32>, from count: Int, to capacity: Int) -> UnsafeMutablePointer<UInt32> {
        let new = UnsafeMutablePointer<UInt32>.allocate(capacity: capacity)
        new.update(from: old, count: count)
        old.deallocate()
        return new
    }
}
