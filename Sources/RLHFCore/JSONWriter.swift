/// Writes JSON into a growing byte buffer, fast enough for streaming exports (hundreds of thousands of
/// records a second). Output is deterministic: strings are written as UTF-8, with only `"`, `\` and
/// control characters escaped (`\n`, `\t`, ... and `\u00XX` for the rest), so the same values always
/// give the same bytes: the export -> import -> export round trip relies on it.
public struct JSONWriter {
    public var bytes: [UInt8]

    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public mutating func reset() { bytes.removeAll(keepingCapacity: true) }

    @inline(__always) public mutating func raw(_ s: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    public mutating func rawString(_ s: String) { bytes.append(contentsOf: s.utf8) }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    public mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { utf8 in string(bytes: UnsafeRawBufferPointer(utf8)) }
    }

    public mutating func string(bytes utf8: UnsafeRawBufferPointer) {
        bytes.append(0x22)
        appendEscaped(utf8)
        bytes.append(0x22)
    }

    /// One JSON string holding the concatenation of two texts (HH records: prompt + reply).
    public mutating func string(concatenating a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) {
        bytes.append(0x22)
        appendEscaped(a)
        appendEscaped(b)
        bytes.append(0x22)
    }

    /// The escaped text without the surrounding quotes.
    private mutating func appendEscaped(_ utf8: UnsafeRawBufferPointer) {
        var runStart = 0
        var i = 0
        let n = utf8.count
        while i < n {
            let b = utf8[i]
            if b >= 0x20 && b != 0x22 && b != 0x5C { i += 1; continue }
            if i > runStart { bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: utf8[runStart..<i])) }
            switch b {
            case 0x22: bytes.append(0x5C); bytes.append(0x22)
            case 0x5C: bytes.append(0x5C); bytes.append(0x5C)
            case 0x0A: bytes.append(0x5C); bytes.append(UInt8(ascii: "n"))
            case 0x0D: bytes.append(0x5C); bytes.append(UInt8(ascii: "r"))
            case 0x09: bytes.append(0x5C); bytes.append(UInt8(ascii: "t"))
            case 0x08: bytes.append(0x5C); bytes.append(UInt8(ascii: "b"))
            case 0x0C: bytes.append(0x5C); bytes.append(UInt8(ascii: "f"))
            default:
                bytes.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30,
                                          JSONWriter.hexDigits[Int(b >> 4)], JSONWriter.hexDigits[Int(b & 15)]])
            }
            i += 1
            runStart = i
        }
        if n > runStart { bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: utf8[runStart..<n])) }
    }

    public mutating func int(_ v: Int) { bytes.append(contentsOf: String(v).utf8) }

    public mutating func double(_ v: Double) { bytes.append(contentsOf: JSONWriter.format(v).utf8) }

    public mutating func bool(_ v: Bool) { if v { raw("true") } else { raw("false") } }

    public mutating func null() { raw("null") }

    /// Shortest round-trip text of a double; integral values without a fraction ("1" not "1.0"),
    /// non-finite values as null (JSON has no NaN).
    public static func format(_ v: Double) -> String {
        guard v.isFinite else { return "null" }
        if v == v.rounded() && abs(v) < 1e15 { return String(Int64(v)) }
        return "\(v)"
    }

    public mutating func value(_ v: JSONValue) {
        switch v {
        case .null: null()
        case .bool(let b): bool(b)
        case .number(let n): rawString(n)
        case .string(let s): string(s)
        case .array(let a):
            bytes.append(UInt8(ascii: "["))
            for (i, e) in a.enumerated() {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                value(e)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let o):
            bytes.append(UInt8(ascii: "{"))
            for (i, e) in o.entries.enumerated() {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                string(e.key)
                bytes.append(UInt8(ascii: ":"))
                value(e.value)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    /// Key of an object member, with the comma before it unless it is the first.
    public mutating func key(_ k: StaticString, first: Bool = false) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        bytes.append(0x22)
        raw(k)
        bytes.append(0x22)
        bytes.append(UInt8(ascii: ":"))
    }

    public static func encode(_ v: JSONValue) -> String {
        var w = JSONWriter()
        w.value(v)
        return String(decoding: w.bytes, as: UTF8.self)
    }
}
