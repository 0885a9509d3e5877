/// A strict JSON parser (RFC 8259) over UTF-8 bytes, written for importing other people's files:
/// it refuses what lenient parsers let through and says where. Refused: invalid UTF-8, lone or
/// mis-paired surrogate escapes, duplicate object keys, nesting deeper than `maxDepth`, control
/// characters in strings, leading zeros, trailing garbage. Error offsets are 1-based byte columns.
public struct JSONParseError: Error, Equatable, Sendable, CustomStringConvertible {
    public let message: String
    public let column: Int
    public var description: String { "column \(column): \(message)" }
}

public struct JSONParser {
    public static let defaultMaxDepth = 64

    /// Throws `JSONParseError`.
    public static func parse(_ text: String, maxDepth: Int = defaultMaxDepth) throws -> JSONValue {
        var copy = text
        return try copy.withUTF8 { bytes in try parse(UnsafeRawBufferPointer(bytes), maxDepth: maxDepth) }
    }

    /// Throws `JSONParseError`.
    public static func parse(_ bytes: [UInt8], maxDepth: Int = defaultMaxDepth) throws -> JSONValue {
        try bytes.withUnsafeBytes { buffer in try parse(buffer, maxDepth: maxDepth) }
    }

    public static func parse(_ bytes: UnsafeRawBufferPointer, maxDepth: Int = defaultMaxDepth) throws(JSONParseError) -> JSONValue {
        var parser = Cursor(bytes: bytes, maxDepth: maxDepth)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 1)
        parser.skipWhitespace()
        if parser.position < bytes.count {
            throw parser.error("unexpected text after the JSON value")
        }
        return value
    }

    struct Cursor {
        let bytes: UnsafeRawBufferPointer
        let maxDepth: Int
        var position = 0
        var scratch = [UInt8]()

        init(bytes: UnsafeRawBufferPointer, maxDepth: Int) {
            self.bytes = bytes
            self.maxDepth = maxDepth
        }

        func error(_ message: String, at offset: Int? = nil) -> JSONParseError {
            JSONParseError(message: message, column: (offset ?? position) + 1)
        }

        @inline(__always) mutating func skipWhitespace() {
            while position < bytes.count {
                let b = bytes[position]
                if b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { position += 1 } else { return }
            }
        }

        mutating func parseValue(depth: Int) throws(JSONParseError) -> JSONValue {
            guard position < bytes.count else { throw error("unexpected end of input, expected a value") }
            switch bytes[position] {
            case UInt8(ascii: "{"): return try parseObject(depth: depth)
            case UInt8(ascii: "["): return try parseArray(depth: depth)
            case UInt8(ascii: "\""): return .string(try parseString())
            case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
            case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
            case UInt8(ascii: "n"): try expectLiteral("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
            default: throw error("unexpected character \(describe(bytes[position])), expected a value")
            }
        }

        func describe(_ byte: UInt8) -> String {
            if byte >= 0x20 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
            return "byte 0x" + Hex.encode([byte])
        }

        mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
            let n = literal.utf8CodeUnitCount
            let start = position
            guard position + n <= bytes.count else { throw error("invalid literal", at: start) }
            let p = literal.utf8Start
            for i in 0..<n where bytes[position + i] != p[i] { throw error("invalid literal", at: start) }
            position += n
        }

        mutating func parseObject(depth: Int) throws(JSONParseError) -> JSONValue {
            if depth > maxDepth { throw error("nesting deeper than \(maxDepth) levels") }
            position += 1
            var object = JSONObject()
            var seen: Set<String>? = nil
            skipWhitespace()
            if position < bytes.count && bytes[position] == UInt8(ascii: "}") {
                position += 1
                return .object(object)
            }
            object.reserveCapacity(4)   // records have a few keys: one allocation instead of three
            while true {
                skipWhitespace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
                    throw error("expected a string key in object")
                }
                let keyStart = position
                let key = try parseString()
                // Small objects (the usual case) check by scan; large ones switch to a set.
                if object.count < 16 {
                    if object.entries.contains(where: { $0.key == key }) {
                        throw error("duplicate key \"\(key)\"", at: keyStart)
                    }
                } else {
                    if seen == nil { seen = Set(object.keys) }
                    if !seen!.insert(key).inserted { throw error("duplicate key \"\(key)\"", at: keyStart) }
                }
                skipWhitespace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else {
                    throw error("expected ':' after object key")
                }
                position += 1
                skipWhitespace()
                let value = try parseValue(depth: depth + 1)
                object.appendUnchecked(key, value)
                skipWhitespace()
                guard position < bytes.count else { throw error("unexpected end of input in object") }
                if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
                if bytes[position] == UInt8(ascii: "}") { position += 1; return .object(object) }
                throw error("expected ',' or '}' in object")
            }
        }

        mutating func parseArray(depth: Int) throws(JSONParseError) -> JSONValue {
            if depth > maxDepth { throw error("nesting deeper than \(maxDepth) levels") }
            position += 1
            var array = [JSONValue]()
            skipWhitespace()
            if position < bytes.count && bytes[position] == UInt8(ascii: "]") {
                position += 1
                return .array(array)
            }
            while true {
                skipWhitespace()
                array.append(try parseValue(depth: depth + 1))
                skipWhitespace()
                guard position < bytes.count else { throw error("unexpected end of input in array") }
                if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
                if bytes[position] == UInt8(ascii: "]") { position += 1; return .array(array) }
                throw error("expected ',' or ']' in array")
            }
        }

        mutating func parseNumber() throws(JSONParseError) -> String {
            let start = position
            if bytes[position] == UInt8(ascii: "-") { position += 1 }
            guard position < bytes.count, isDigit(bytes[position]) else { throw error("invalid number", at: start) }
            if bytes[position] == UInt8(ascii: "0") {
                position += 1
                if position < bytes.count && isDigit(bytes[position]) { throw error("number with a leading zero", at: start) }
            } else {
                while position < bytes.count && isDigit(bytes[position]) { position += 1 }
            }
            if position < bytes.count && bytes[position] == UInt8(ascii: ".") {
                position += 1
                guard position < bytes.count, isDigit(bytes[position]) else { throw error("invalid number", at: start) }
                while position < bytes.count && isDigit(bytes[position]) { position += 1 }
            }
            if position < bytes.count && (bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E")) {
                position += 1
                if position < bytes.count && (bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-")) { position += 1 }
                guard position < bytes.count, isDigit(bytes[position]) else { throw error("invalid number", at: start) }
                while position < bytes.count && isDigit(bytes[position]) { position += 1 }
            }
            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        }

        @inline(__always) func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

        mutating func parseString() throws(JSONParseError) -> String {
            let start = position
            position += 1
            // Fast path: no escapes and pure ASCII or valid UTF-8 up to the closing quote.
            var scan = position
            var sawEscape = false
            var sawHighBit = false
            while scan < bytes.count {
                let b = bytes[scan]
                if b == UInt8(ascii: "\"") { break }
                if b == UInt8(ascii: "\\") { sawEscape = true; break }
                if b < 0x20 { throw error("control character (byte 0x\(Hex.encode([b]))) in string; it must be escaped", at: scan) }
                if b >= 0x80 { sawHighBit = true }
                scan += 1
            }
            guard scan < bytes.count else { throw error("unterminated string", at: start) }
            if !sawEscape {
                let slice = UnsafeRawBufferPointer(rebasing: bytes[position..<scan])
                if sawHighBit, let bad = UTF8Validation.firstInvalidOffset(slice) {
                    throw error("invalid UTF-8 in string", at: position + bad)
                }
                position = scan + 1
                return String(decoding: slice, as: UTF8.self)
            }
            // Slow path: unescape into scratch.
            scratch.removeAll(keepingCapacity: true)
            scratch.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[position..<scan]))
            var rawStart = scan  // bytes since the last escape that need UTF-8 validation
            var validateFrom = position
            position = scan
            while true {
                guard position < bytes.count else { throw error("unterminated string", at: start) }
                let b = bytes[position]
                if b == UInt8(ascii: "\"") {
                    try validateRaw(from: validateFrom, to: position)
                    position += 1
                    return String(decoding: scratch, as: UTF8.self)
                }
                if b < 0x20 { throw error("control character (byte 0x\(Hex.encode([b]))) in string; it must be escaped") }
                if b == UInt8(ascii: "\\") {
                    try validateRaw(from: validateFrom, to: position)
                    try parseEscape()
                    validateFrom = position
                    rawStart = position
                    continue
                }
                scratch.append(b)
                position += 1
            }
            _ = rawStart
        }

        mutating func validateRaw(from: Int, to: Int) throws(JSONParseError) {
            guard to > from else { return }
            let slice = UnsafeRawBufferPointer(rebasing: bytes[from..<to])
            if let bad = UTF8Validation.firstInvalidOffset(slice) { throw error("invalid UTF-8 in string", at: from + bad) }
        }

        mutating func parseEscape() throws(JSONParseError) {
            let escapeStart = position
            position += 1
            guard position < bytes.count else { throw error("unterminated escape", at: escapeStart) }
            let c = bytes[position]
            position += 1
            switch c {
            case UInt8(ascii: "\""): scratch.append(0x22)
            case UInt8(ascii: "\\"): scratch.append(0x5C)
            case UInt8(ascii: "/"): scratch.append(0x2F)
            case UInt8(ascii: "b"): scratch.append(0x08)
            case UInt8(ascii: "f"): scratch.append(0x0C)
            case UInt8(ascii: "n"): scratch.append(0x0A)
            case UInt8(ascii: "r"): scratch.append(0x0D)
            case UInt8(ascii: "t"): scratch.append(0x09)
            case UInt8(ascii: "u"):
                let unit = try parseHex4(escapeStart)
                var scalarValue = UInt32(unit)
                if unit >= 0xD800 && unit <= 0xDBFF {
                    guard position + 6 <= bytes.count, bytes[position] == UInt8(ascii: "\\"),
                          bytes[position + 1] == UInt8(ascii: "u") else {
                        throw error("lone surrogate \\u\(hex4(unit)) (a high surrogate must be followed by a low one)", at: escapeStart)
                    }
                    position += 2
                    let low = try parseHex4(escapeStart)
                    guard low >= 0xDC00 && low <= 0xDFFF else {
                        throw error("lone surrogate \\u\(hex4(unit)) (followed by \\u\(hex4(low)), not a low surrogate)", at: escapeStart)
                    }
                    scalarValue = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
                } else if unit >= 0xDC00 && unit <= 0xDFFF {
                    throw error("lone surrogate \\u\(hex4(unit)) (a low surrogate without a high one)", at: escapeStart)
                }
                guard let scalar = Unicode.Scalar(scalarValue) else { throw error("invalid \\u escape", at: escapeStart) }
                scratch.append(contentsOf: String(Character(scalar)).utf8)
            default:
                throw error("invalid escape '\\\(Character(Unicode.Scalar(c)))'", at: escapeStart)
            }
        }

        func hex4(_ v: UInt16) -> String {
            let s = String(v, radix: 16, uppercase: false)
            return String(repeating: "0", count: 4 - s.count) + s
        }

        mutating func parseHex4(_ escapeStart: Int) throws(JSONParseError) -> UInt16 {
            guard position + 4 <= bytes.count else { throw error("truncated \\u escape", at: escapeStart) }
            var v: UInt16 = 0
            for _ in 0..<4 {
                let b = bytes[position]
                let d: UInt16
                switch b {
                case 0x30...0x39: d = UInt16(b - 0x30)
                case 0x61...0x66: d = UInt16(b - 0x61 + 10)
                case 0x41...0x46: d = UInt16(b - 0x41 + 10)
                default: throw error("invalid \\u escape", at: escapeStart)
                }
                v = v << 4 | d
                position += 1
            }
            return v
        }
    }
}

/// UTF-8 validation per RFC 3629: no overlongs, no surrogates (ED A0..BF), nothing above U+10FFFF.
public enum UTF8Validation {
    /// The offset of the first byte of the first invalid sequence, or nil when all is valid.
    public static func firstInvalidOffset(_ bytes: UnsafeRawBufferPointer) -> Int? {
        var i = 0
        let n = bytes.count
        while i < n {
            let b0 = bytes[i]
            if b0 < 0x80 { i += 1; continue }
            let length: Int
            var lo: UInt8 = 0x80, hi: UInt8 = 0xBF
            switch b0 {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; lo = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; hi = 0x9F
            case 0xF0: length = 4; lo = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; hi = 0x8F
            default: return i
            }
            guard i + length <= n else { return i }
            let b1 = bytes[i + 1]
            if b1 < lo || b1 > hi { return i }
            for k in 2..<max(2, length) where bytes[i + k] & 0xC0 != 0x80 { return i }
            i += length
        }
        return nil
    }

    public static func isValid(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { firstInvalidOffset($0) == nil }
    }
}
