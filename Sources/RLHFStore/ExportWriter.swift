#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import RLHFCore

/// The output buffer of `rlhf export preferences`: JSON written straight from SQLite's column bytes
/// into one large buffer that goes to the sink in big writes, with no String, Array or JSONWriter per
/// record. Writes exactly the bytes `JSONWriter` and `PreferenceMetaCodec` write (strings as UTF-8
/// with `"`, `\` and control characters escaped, `\u00XX` in lowercase hex), which the round trip
/// and the tests compare against.
struct ExportWriter: ~Copyable {
    private let sink: ByteSink
    private var buffer: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private var count = 0

    init(sink: ByteSink, capacity: Int = 1 << 20) {
        self.sink = sink
        self.capacity = capacity
        buffer = .allocate(capacity: capacity)
    }

    deinit { buffer.deallocate() }

    /// Sends what is buffered to the sink.
    mutating func flush() throws {
        guard count > 0 else { return }
        try sink.write(UnsafeRawBufferPointer(start: buffer, count: count))
        count = 0
    }

    /// Makes room for `n` more bytes (flushing, or growing for a record larger than the buffer).
    @inline(__always) mutating func reserve(_ n: Int) throws {
        if count + n <= capacity { return }
        try flush()
        if n > capacity {
            buffer.deallocate()
            capacity = max(n, 2 * capacity)
            buffer = .allocate(capacity: capacity)
        }
    }

    @inline(__always) mutating func raw(_ s: StaticString) throws {
        let n = s.utf8CodeUnitCount
        try reserve(n)
        (buffer + count).update(from: s.utf8Start, count: n)
        count += n
    }

    @inline(__always) mutating func byte(_ b: UInt8) throws {
        try reserve(1)
        buffer[count] = b
        count += 1
    }

    /// Bytes that need no escaping (hex ids, numbers).
    mutating func verbatim(_ bytes: UnsafeRawBufferPointer) throws {
        try reserve(bytes.count)
        if bytes.count > 0 { UnsafeMutableRawPointer(buffer + count).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count) }
        count += bytes.count
    }

    mutating func null() throws { try raw("null") }

    mutating func int(_ value: Int64) throws {
        try reserve(20)
        if value == 0 { buffer[count] = 0x30; count += 1; return }
        var v = value.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)   // 24 bytes of scratch, filled from the end
        let n = withUnsafeMutableBytes(of: &digits) { scratch -> Int in
            var i = scratch.count
            while v > 0 {
                i -= 1
                scratch[i] = 0x30 + UInt8(v % 10)
                v /= 10
            }
            if value < 0 { i -= 1; scratch[i] = UInt8(ascii: "-") }
            let n = scratch.count - i
            (buffer + count).update(from: scratch.baseAddress!.assumingMemoryBound(to: UInt8.self) + i, count: n)
            return n
        }
        count += n
    }

    nonisolated(unsafe) private static let hexPairs: UnsafeMutablePointer<UInt16> = {
        let digits = Array("0123456789abcdef".utf8)
        let table = UnsafeMutablePointer<UInt16>.allocate(capacity: 256)
        for b in 0..<256 {
            // Memory order: high nibble's digit first.
            table[b] = UInt16(digits[b >> 4]) | (UInt16(digits[b & 15]) << 8)
        }
        return table
    }()

    /// `"<hex of bytes>"` in lowercase.
    mutating func hexString(_ bytes: UnsafeRawBufferPointer) throws {
        try reserve(2 * bytes.count + 2)
        buffer[count] = 0x22
        var out = UnsafeMutableRawPointer(buffer + count + 1)
        let table = ExportWriter.hexPairs
        for b in bytes {
            out.storeBytes(of: table[Int(b)], as: UInt16.self)
            out += 2
        }
        count += 2 * bytes.count + 1
        buffer[count] = 0x22
        count += 1
    }

    /// A JSON string of the UTF-8 bytes.
    mutating func string(_ bytes: UnsafeRawBufferPointer) throws {
        try reserve(6 * bytes.count + 2)
        buffer[count] = 0x22
        count += 1
        appendEscaped(bytes)
        buffer[count] = 0x22
        count += 1
    }

    /// One JSON string of two texts one after the other (HH records: prompt + reply).
    mutating func string(concatenating a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) throws {
        try reserve(6 * (a.count + b.count) + 2)
        buffer[count] = 0x22
        count += 1
        appendEscaped(a)
        appendEscaped(b)
        buffer[count] = 0x22
        count += 1
    }

    mutating func string(_ text: String) throws {
        var text = text
        try text.withUTF8 { try string(UnsafeRawBufferPointer($0)) }
    }

    private static let hexDigits: StaticString = "0123456789abcdef"

    /// Escaped text without quotes; the caller reserved 6 bytes per input byte. Eight bytes at a
    /// time while none of them needs escaping (a control character, `"` or `\`).
    @inline(__always) private mutating func appendEscaped(_ text: UnsafeRawBufferPointer) {
        let n = text.count
        guard n > 0 else { return }
        let src = text.baseAddress!
        var out = buffer + count
        var i = 0
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        while true {
            // Whole words that need no escaping are copied as they are.
            while i + 8 <= n {
                let x = src.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                let control = (x &- 0x2020_2020_2020_2020) & ~x
                let quote = x ^ (0x22 &* ones)
                let backslash = x ^ (0x5C &* ones)
                let special = control | ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash)
                if special & highs != 0 { break }
                UnsafeMutableRawPointer(out).storeBytes(of: x, as: UInt64.self)
                out += 8
                i += 8
            }
            // A clean last word overlapping the text's end finishes it (the overlap was copied as it is).
            if i + 8 > n && n >= 8 && i < n {
                let x = src.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
                let control = (x &- 0x2020_2020_2020_2020) & ~x
                let quote = x ^ (0x22 &* ones)
                let backslash = x ^ (0x5C &* ones)
                let special = control | ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash)
                if special & highs == 0 {
                    UnsafeMutableRawPointer(out - (i - (n - 8))).storeBytes(of: x, as: UInt64.self)
                    out += n - i
                    break
                }
            }
            // Then byte by byte to the end of the word that had one (or of the text).
            let stop = min(i + 8, n)
            while i < stop {
                let b = src.load(fromByteOffset: i, as: UInt8.self)
                i += 1
                if b >= 0x20 && b != 0x22 && b != 0x5C { out.pointee = b; out += 1; continue }
                out[0] = 0x5C
                switch b {
                case 0x22: out[1] = 0x22; out += 2
                case 0x5C: out[1] = 0x5C; out += 2
                case 0x0A: out[1] = UInt8(ascii: "n"); out += 2
                case 0x0D: out[1] = UInt8(ascii: "r"); out += 2
                case 0x09: out[1] = UInt8(ascii: "t"); out += 2
                case 0x08: out[1] = UInt8(ascii: "b"); out += 2
                case 0x0C: out[1] = UInt8(ascii: "f"); out += 2
                default:
                    let digits = ExportWriter.hexDigits.utf8Start
                    out[1] = UInt8(ascii: "u"); out[2] = 0x30; out[3] = 0x30
                    out[4] = digits[Int(b >> 4)]; out[5] = digits[Int(b & 15)]
                    out += 6
                }
            }
            if i >= n { break }
        }
        count = out - buffer
    }
}

/// A second thread that consumes filled buffers in order and hands them back for reuse; at most
/// `limit` buffers exist, so memory stays constant however long the stream. The first error stops
/// the consuming (later buffers are dropped) and is thrown by the next `submit` or by `finish`.
final class BackgroundConsumer: @unchecked Sendable {
    struct Buffer {
        let pointer: UnsafeMutablePointer<UInt8>
        let capacity: Int
        var count: Int
    }

    private let consume: (UnsafeRawBufferPointer) throws -> Void
    private let atEnd: () throws -> Void
    private let bufferSize: Int
    private let limit = 4
    private let condition = NSCondition()
    private var queued: [Buffer] = []
    private var free: [Buffer] = []
    private var allocated = 0
    private var finishing = false
    private var stopped = false
    private var failure: Error?

    /// `consume` runs on the thread for each buffer in order, `atEnd` once after the last.
    init(bufferSize: Int, consume: @escaping (UnsafeRawBufferPointer) throws -> Void, atEnd: @escaping () throws -> Void) {
        self.consume = consume
        self.atEnd = atEnd
        self.bufferSize = bufferSize
        let thread = Thread { [self] in run() }
        thread.start()
    }

    private func run() {
        condition.lock()
        while true {
            while queued.isEmpty && !finishing { condition.wait() }
            if queued.isEmpty { break }
            var buffer = queued.removeFirst()
            let failed = failure != nil
            condition.unlock()
            var error: Error? = nil
            if !failed {
                do { try consume(UnsafeRawBufferPointer(start: buffer.pointer, count: buffer.count)) } catch let e { error = e }
            }
            condition.lock()
            if let error, failure == nil { failure = error }
            buffer.count = 0
            free.append(buffer)
            condition.broadcast()
        }
        let failed = failure != nil
        condition.unlock()
        var error: Error? = nil
        if !failed {
            do { try atEnd() } catch let e { error = e }
        }
        condition.lock()
        if let error, failure == nil { failure = error }
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    /// A buffer to fill (a new one while fewer than `limit` exist).
    func emptyBuffer() -> Buffer {
        condition.lock()
        defer { condition.unlock() }
        return takeFree()
    }

    private func takeFree() -> Buffer {
        while free.isEmpty && allocated >= limit { condition.wait() }
        if let buffer = free.popLast() { return buffer }
        allocated += 1
        return Buffer(pointer: .allocate(capacity: bufferSize), capacity: bufferSize, count: 0)
    }

    /// Queues a filled buffer and returns an empty one.
    func submit(_ buffer: Buffer) throws -> Buffer {
        condition.lock()
        defer { condition.unlock() }
        if let failure { throw failure }
        queued.append(buffer)
        condition.broadcast()
        return takeFree()
    }

    /// Replaces an empty buffer by a bigger one (for an item larger than the buffer).
    func grow(_ buffer: Buffer, to size: Int) -> Buffer {
        condition.lock()
        defer { condition.unlock() }
        buffer.pointer.deallocate()
        return Buffer(pointer: .allocate(capacity: size), capacity: size, count: 0)
    }

    /// Takes back a buffer that will not be submitted.
    func retire(_ buffer: Buffer) {
        condition.lock()
        buffer.pointer.deallocate()
        allocated -= 1
        condition.broadcast()
        condition.unlock()
    }

    /// Consumes what is queued, runs `atEnd`, stops the thread and frees the buffers; throws the
    /// first error. Safe to call twice.
    func finish() throws {
        condition.lock()
        finishing = true
        condition.broadcast()
        while !stopped { condition.wait() }
        for buffer in free { buffer.pointer.deallocate() }
        allocated -= free.count
        free.removeAll()
        let failure = self.failure
        condition.unlock()
        if let failure { throw failure }
    }
}
