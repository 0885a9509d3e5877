#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The four kinds of character GPT-2's pre-tokenization pattern tells apart: `\p{L}` (letters),
/// `\p{N}` (numbers), `\s` (the Unicode White_Space property) and everything else.
public enum ScalarClass: UInt8, Sendable {
    case other = 1
    case letter = 2
    case number = 3
    case whitespace = 4

    /// From the scalar's Unicode properties, as the regex engines of tiktoken and Hugging Face read them.
    public init(_ scalar: Unicode.Scalar) {
        let properties = scalar.properties
        if properties.isWhitespace { self = .whitespace; return }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            self = .letter
        case .decimalNumber, .letterNumber, .otherNumber:
            self = .number
        default:
            self = .other
        }
    }
}

/// Classifies scalars fast. ASCII comes from a fixed table; anything else is looked up in Unicode's
/// properties once and remembered in a table over all 0x110000 scalars. That table is `calloc`ed, so the
/// operating system maps only the pages a text touches (a few for a Latin or CJK text), and a fresh
/// classifier costs nothing until it meets non-ASCII text. Not thread-safe: one per tokenizer.
final class ScalarClassifier {
    static let scalarCount = 0x110000
    /// 0 = not looked up yet, else a `ScalarClass` raw value. Entries 0..<128 (ASCII) are always set.
    let table: UnsafeMutablePointer<UInt8>

    init() {
        let raw = calloc(ScalarClassifier.scalarCount, 1)
        // An allocation failure of ~1 MiB of address space leaves nothing sensible to do.
        guard let raw else { fatalError("ScalarClassifier: out of memory") }
        table = raw.bindMemory(to: UInt8.self, capacity: ScalarClassifier.scalarCount)
        for b in 0..<128 {
            guard let scalar = Unicode.Scalar(UInt32(b)) else { continue }
            table[b] = ScalarClass(scalar).rawValue
        }
    }

    deinit { free(table) }

    /// The class of a scalar value (which must be a valid scalar: the caller decoded valid UTF-8).
    @inline(__always) func classify(_ value: UInt32) -> UInt8 {
        let known = table[Int(value)]
        if known != 0 { return known }
        return lookUp(value)
    }

    @inline(never) private func lookUp(_ value: UInt32) -> UInt8 {
        let cls = Unicode.Scalar(value).map { ScalarClass($0).rawValue } ?? ScalarClass.other.rawValue
        table[Int(value)] = cls
        return cls
    }
}
