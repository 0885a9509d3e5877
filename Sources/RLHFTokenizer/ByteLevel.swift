/// GPT-2's byte-to-unicode mapping (`bytes_to_unicode` in openai/gpt-2 `encoder.py`).
///
/// Byte-level BPE works on bytes, but the GPT-2 and Hugging Face files spell every token as text. Each of
/// the 256 byte values gets one visible character: the 188 printable Latin-1 bytes stand for themselves,
/// the other 68 (controls, space, DEL, NBSP, soft hyphen) are moved to U+0100 and up, in byte order. So a
/// space is spelled `Ġ` (U+0120) and a newline `Ċ` (U+010A). Only the files use this spelling: encoding
/// and decoding work on raw bytes.
public enum ByteLevel {
    /// The bytes in GPT-2's vocabulary order: printable bytes first, then the rest. Byte token `i` of the
    /// GPT-2 vocabulary (ids 0...255) is `byteOrder[i]`; our trained vocabularies use the same ids.
    public static let byteOrder: [UInt8] = {
        var order: [UInt8] = []
        for b in 0...255 where isPrintable(UInt8(b)) { order.append(UInt8(b)) }
        for b in 0...255 where !isPrintable(UInt8(b)) { order.append(UInt8(b)) }
        return order
    }()

    /// The visible character for each byte value.
    public static let characterForByte: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: "\u{0}", count: 256)
        var shifted: UInt32 = 0
        for b in 0...255 {
            if isPrintable(UInt8(b)) {
                table[b] = Unicode.Scalar(UInt8(b))
            } else {
                // Scalars 256...323 are all valid, so this cannot fail.
                table[b] = Unicode.Scalar(256 + shifted) ?? "\u{0}"
                shifted += 1
            }
        }
        return table
    }()

    /// The printable ranges of `bytes_to_unicode`: '!'...'~', '¡'...'¬', '®'...'ÿ'.
    @inline(__always) static func isPrintable(_ b: UInt8) -> Bool {
        (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE)
    }

    /// The byte a visible character stands for, or nil for a character outside the alphabet.
    @inline(__always) public static func byte(for scalar: Unicode.Scalar) -> UInt8? {
        let v = scalar.value
        if v < 256 { return isPrintable(UInt8(v)) ? UInt8(v) : nil }
        if v < 256 + 68 { return nonPrintable[Int(v - 256)] }
        return nil
    }

    private static let nonPrintable: [UInt8] = (0...255).map(UInt8.init).filter { !isPrintable($0) }

    /// The visible spelling of some bytes, as in `encoder.json` and `tokenizer.json`.
    public static func spell(_ bytes: some Sequence<UInt8>) -> String {
        var scalars = String.UnicodeScalarView()
        for b in bytes { scalars.append(characterForByte[Int(b)]) }
        return String(scalars)
    }

    /// The bytes a visible spelling stands for, or nil when a character is outside the alphabet.
    public static func bytes(ofSpelling text: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            guard let b = byte(for: scalar) else { return nil }
            out.append(b)
        }
        return out
    }
}
