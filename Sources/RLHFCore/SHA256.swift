/// SHA-256 (FIPS 180-4). Used for migration checksums, checkpoint manifests and content hashes of
/// prompts and completions (store identity, exported `meta`). Foundation on Linux has no CryptoKit
/// and the project takes no third-party packages, so this is the one hand-written hash;
/// `SHA256Tests` checks it against the NIST vectors. Hashing sits on the import path, so blocks are
/// compressed straight from the caller's memory with the message schedule on the stack.
public struct SHA256: Sendable {
    typealias State = (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32)
    static let initialState: State = (0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19)

    private var h: State = SHA256.initialState
    /// Bytes of a partial block waiting for more input.
    private var pending: [UInt8] = []
    private var totalBytes: UInt64 = 0

    /// The round constants, in memory that is never freed (read through a pointer in the hot loop).
    nonisolated(unsafe) private static let k: UnsafeMutablePointer<UInt32> = {
        let values: [UInt32] = [
            0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
            0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
            0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
            0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
            0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
            0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
            0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
            0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
        ]
        let p = UnsafeMutablePointer<UInt32>.allocate(capacity: 64)
        p.initialize(from: values, count: 64)
        return p
    }()

    public init() {}

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        var index = 0
        let n = bytes.count
        totalBytes &+= UInt64(n)
        if !pending.isEmpty {
            let take = min(64 - pending.count, n)
            pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[0..<take]))
            index = take
            if pending.count == 64 {
                pending.withUnsafeBytes { SHA256.compress(&h, $0.baseAddress!, blocks: 1) }
                pending.removeAll(keepingCapacity: true)
            }
        }
        let blocks = (n - index) / 64
        if blocks > 0 {
            SHA256.compress(&h, bytes.baseAddress! + index, blocks: blocks)
            index += 64 * blocks
        }
        if index < n { pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[index..<n])) }
    }

    public mutating func update<S: Sequence>(_ bytes: S) where S.Element == UInt8 {
        let array = Array(bytes)
        array.withUnsafeBytes { update($0) }
    }

    public mutating func update(_ string: String) {
        var s = string
        s.withUTF8 { update(UnsafeRawBufferPointer($0)) }
    }

    @inline(__always) private static func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x &>> n) | (x &<< (32 &- n)) }

    /// One round; the caller rotates the eight working variables by passing them in shifted order.
    @inline(__always) private static func round(_ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: inout UInt32,
                                                _ e: UInt32, _ f: UInt32, _ g: UInt32, _ h: inout UInt32, _ kw: UInt32) {
        let t1 = h &+ (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) &+ ((e & f) ^ (~e & g)) &+ kw
        let t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) &+ ((a & b) | (c & (a | b)))
        d &+= t1
        h = t1 &+ t2
    }

    /// Compresses `blocks` consecutive 64-byte blocks into the state (the message schedule lives on
    /// the stack; rounds are unrolled by eight so the working variables stay in registers).
    static func compress(_ state: inout State, _ data: UnsafeRawPointer, blocks: Int) {
        let k = SHA256.k
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { buffer in
            let w = buffer.baseAddress!
            var (h0, h1, h2, h3, h4, h5, h6, h7) = state
            var block = data
            for _ in 0..<blocks {
                for i in 0..<16 { w[i] = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: 4 &* i, as: UInt32.self)) }
                var i = 16
                while i < 64 {
                    let x = w[i &- 15], y = w[i &- 2]
                    let s0 = rotr(x, 7) ^ rotr(x, 18) ^ (x &>> 3)
                    let s1 = rotr(y, 17) ^ rotr(y, 19) ^ (y &>> 10)
                    w[i] = w[i &- 16] &+ s0 &+ w[i &- 7] &+ s1
                    i &+= 1
                }
                var a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7
                i = 0
                while i < 64 {
                    round(a, b, c, &d, e, f, g, &h, k[i] &+ w[i])
                    round(h, a, b, &c, d, e, f, &g, k[i &+ 1] &+ w[i &+ 1])
                    round(g, h, a, &b, c, d, e, &f, k[i &+ 2] &+ w[i &+ 2])
                    round(f, g, h, &a, b, c, d, &e, k[i &+ 3] &+ w[i &+ 3])
                    round(e, f, g, &h, a, b, c, &d, k[i &+ 4] &+ w[i &+ 4])
                    round(d, e, f, &g, h, a, b, &c, k[i &+ 5] &+ w[i &+ 5])
                    round(c, d, e, &f, g, h, a, &b, k[i &+ 6] &+ w[i &+ 6])
                    round(b, c, d, &e, f, g, h, &a, k[i &+ 7] &+ w[i &+ 7])
                    i &+= 8
                }
                h0 &+= a; h1 &+= b; h2 &+= c; h3 &+= d; h4 &+= e; h5 &+= f; h6 &+= g; h7 &+= h
                block += 64
            }
            state = (h0, h1, h2, h3, h4, h5, h6, h7)
        }
    }

    /// Pads the last partial block (`count` bytes at `tail`, fewer than 64) with the length of the
    /// whole message and compresses it: the end of both the streaming and the one-shot paths.
    private static func finish(_ state: inout State, tail: UnsafeRawPointer?, count: Int, totalBytes: UInt64) -> Digest {
        var padding: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                      UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &padding) { p in
            if count > 0, let tail { p.baseAddress!.copyMemory(from: tail, byteCount: count) }
            p[count] = 0x80
            let blocks = count < 56 ? 1 : 2
            p.storeBytes(of: (totalBytes &* 8).bigEndian, toByteOffset: 64 * blocks - 8, as: UInt64.self)
            compress(&state, UnsafeRawPointer(p.baseAddress!), blocks: blocks)
        }
        // Digest bytes are the state words in big-endian order.
        @inline(__always) func pair(_ a: UInt32, _ b: UInt32) -> UInt64 {
            var v: UInt64 = 0
            withUnsafeMutableBytes(of: &v) { raw in
                raw.storeBytes(of: a.bigEndian, toByteOffset: 0, as: UInt32.self)
                raw.storeBytes(of: b.bigEndian, toByteOffset: 4, as: UInt32.self)
            }
            return v
        }
        return Digest(words: (pair(state.0, state.1), pair(state.2, state.3), pair(state.4, state.5), pair(state.6, state.7)))
    }

    /// The digest of everything passed to `update`. Call once.
    public mutating func finalizeDigest() -> Digest {
        let digest = pending.withUnsafeBytes { SHA256.finish(&h, tail: $0.baseAddress, count: $0.count, totalBytes: totalBytes) }
        pending.removeAll()
        return digest
    }

    /// The 32-byte digest. Call once.
    public mutating func finalize() -> [UInt8] {
        finalizeDigest().bytes
    }

    public static func hash(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        digest(bytes).bytes
    }

    public static func hash<S: Sequence>(_ bytes: S) -> [UInt8] where S.Element == UInt8 {
        var hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalize()
    }

    public static func hash(_ string: String) -> [UInt8] {
        digest(string).bytes
    }

    public static func hex(_ string: String) -> String { Hex.encode(hash(string)) }

    public static func hex<S: Sequence>(bytes: S) -> String where S.Element == UInt8 { Hex.encode(hash(bytes)) }
}

public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)
    public static func encode<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var out = [UInt8]()
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the hex of raw bytes to a byte buffer (the export path).
    public static func append(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
    }

    public static func decode(_ text: String) -> [UInt8]? {
        let u = Array(text.utf8)
        guard u.count % 2 == 0 else { return nil }
        func v(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: return c - 0x30
            case 0x61...0x66: return c - 0x61 + 10
            case 0x41...0x46: return c - 0x41 + 10
            default: return nil
            }
        }
        var out = [UInt8]()
        out.reserveCapacity(u.count / 2)
        var i = 0
        while i < u.count {
            guard let hi = v(u[i]), let lo = v(u[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }
}

/// A SHA-256 digest as a value: hashable without an allocation (prompt caches on the import path),
/// and bound to SQLite as its 32 bytes in digest order.
public struct Digest: Hashable, Sendable {
    public var words: (UInt64, UInt64, UInt64, UInt64)

    public init(words: (UInt64, UInt64, UInt64, UInt64)) {
        self.words = words
    }

    public init(bytes: [UInt8]) {
        precondition(bytes.count == 32)
        words = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &words) { $0.copyBytes(from: bytes) }
    }

    public init(raw: UnsafeRawBufferPointer) {
        precondition(raw.count == 32)
        words = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &words) { $0.copyMemory(from: raw) }
    }

    public var bytes: [UInt8] { withUnsafeBytes(of: words) { Array($0) } }
    public var hex: String { Hex.encode(bytes) }

    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(of: words, body)
    }

    public static func == (a: Digest, b: Digest) -> Bool {
        a.words.0 == b.words.0 && a.words.1 == b.words.1 && a.words.2 == b.words.2 && a.words.3 == b.words.3
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
    }

    /// Byte-wise order, the order SQLite sorts the blobs in.
    public func precedes(_ other: Digest) -> Bool {
        bytes.lexicographicallyPrecedes(other.bytes)
    }
}

extension SHA256 {
    /// One-shot digest of a whole message: full blocks straight from the caller's memory, the tail
    /// padded on the stack, no allocation (three of these per imported preference line).
    public static func digest(_ bytes: UnsafeRawBufferPointer) -> Digest {
        var state = initialState
        let n = bytes.count
        let blocks = n / 64
        if blocks > 0 { compress(&state, bytes.baseAddress!, blocks: blocks) }
        let tail = n - 64 * blocks
        return finish(&state, tail: tail > 0 ? bytes.baseAddress! + 64 * blocks : nil, count: tail, totalBytes: UInt64(n))
    }

    public static func digest(_ string: String) -> Digest {
        var s = string
        return s.withUTF8 { digest(UnsafeRawBufferPointer($0)) }
    }
}
