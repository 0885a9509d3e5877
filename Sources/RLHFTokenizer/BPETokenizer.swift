import RLHFCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Encodes text to token ids and back with a byte-level BPE vocabulary, exactly as GPT-2 does.
///
/// There are two encodings, and the names say which is which:
/// - `encodeOrdinary` never produces an added token: the text `<|endoftext|>` becomes the ordinary
///   tokens `<`, `|`, `endoftext`, `|`, `>`. Training data goes through this one only, so a completion
///   that happens to contain that text cannot end itself early; end-of-text is appended by id.
/// - `encodeAllowingSpecialTokens` turns the text of each added token into that token (what Hugging Face
///   does, tiktoken's `allowed_special="all"`, and `rlhf tokenizer encode`).
///
/// A tokenizer keeps a cache of the pieces it has merged, so it is not thread-safe: make one per thread
/// from a shared `BPEVocabulary` (cheap: the vocabulary is not copied).
public final class BPETokenizer {
    public let vocabulary: BPEVocabulary
    private let scanner = PreTokenizer()
    private let merger: PieceMerger
    /// Pieces merged before: piece bytes -> index into `cachedRanges`.
    private let cache = ByteStringTable(minimumCapacity: 1 << 14)
    private var cachedIDs: [UInt32] = []
    private var cachedRanges: [(start: Int32, count: Int32)] = []
    /// For each vocabulary id: 0 = not known yet, 1 = a piece spelling this token merges to exactly this
    /// token, 2 = it merges to something else. A whole piece that is a token is the common case (most
    /// words); state 1 lets it skip merging, as tiktoken's shortcut does, but only once checked, because
    /// a vocabulary may hold a token that its own merges never build from its bytes.
    private let wholePieceState: UnsafeMutablePointer<UInt8>
    /// Ids of the text being encoded; copied into the returned array at the end.
    private var output: UnsafeMutablePointer<UInt32>
    private var outputCapacity = 1024
    private var outputCount = 0

    /// Pieces longer than this are merged but not cached; the cache is emptied when it holds more.
    static let cachedPieceLimit = 256
    static let cacheByteLimit = 16 << 20

    public init(vocabulary: BPEVocabulary) {
        self.vocabulary = vocabulary
        merger = PieceMerger()
        wholePieceState = .allocate(capacity: vocabulary.count)
        wholePieceState.initialize(repeating: 0, count: vocabulary.count)
        output = .allocate(capacity: outputCapacity)
    }

    deinit {
        wholePieceState.deallocate()
        output.deallocate()
    }

    /// For tests: force the long-piece (heap) merge path for pieces longer than `shortPieceLimit`.
    init(vocabulary: BPEVocabulary, shortPieceLimit: Int) {
        self.vocabulary = vocabulary
        merger = PieceMerger(shortLimit: shortPieceLimit)
        wholePieceState = .allocate(capacity: vocabulary.count)
        wholePieceState.initialize(repeating: 0, count: vocabulary.count)
        output = .allocate(capacity: outputCapacity)
    }

    /// Loads the tokenizer in a folder (see `TokenizerFiles.load`).
    public convenience init(directory: String) throws(TokenizerError) {
        self.init(vocabulary: try TokenizerFiles.load(directory: directory))
    }

    // MARK: Encoding

    /// The tokens of `text`, never producing an added token. For training data.
    public func encodeOrdinary(_ text: String) -> [Int] {
        var copy = text
        outputCount = 0
        copy.withUTF8 { utf8 in encodePieces(UnsafeRawBufferPointer(utf8)) }
        return takeOutput()
    }

    /// Appends the ordinary encoding of `text` to `ids` (packing many texts into one sequence).
    public func appendOrdinary(_ text: String, to ids: inout [Int]) {
        ids += encodeOrdinary(text)
    }

    /// The ordinary encoding of UTF-8 bytes; invalid UTF-8 is an error.
    public func encodeOrdinary(utf8 bytes: [UInt8]) throws(TokenizerError) -> [Int] {
        try BPETokenizer.validate(bytes)
        outputCount = 0
        bytes.withUnsafeBytes { encodePieces($0) }
        return takeOutput()
    }

    /// The tokens of `text`, where the text of an added token (`<|endoftext|>`) becomes that token.
    public func encodeAllowingSpecialTokens(_ text: String) -> [Int] {
        var copy = text
        outputCount = 0
        copy.withUTF8 { utf8 in encodeWithAddedTokens(UnsafeRawBufferPointer(utf8)) }
        return takeOutput()
    }

    /// `encodeAllowingSpecialTokens` of UTF-8 bytes; invalid UTF-8 is an error.
    public func encodeAllowingSpecialTokens(utf8 bytes: [UInt8]) throws(TokenizerError) -> [Int] {
        try BPETokenizer.validate(bytes)
        outputCount = 0
        bytes.withUnsafeBytes { encodeWithAddedTokens($0) }
        return takeOutput()
    }

    private static func validate(_ bytes: [UInt8]) throws(TokenizerError) {
        if let bad = bytes.withUnsafeBytes({ UTF8Validation.firstInvalidOffset($0) }) {
            throw .invalidUTF8(source: "input", offset: bad)
        }
    }

    /// The ids in the output buffer as a new array.
    private func takeOutput() -> [Int] {
        let n = outputCount
        let out = output
        return [Int](unsafeUninitializedCapacity: n) { buffer, count in
            for k in 0..<n { buffer[k] = Int(out[k]) }
            count = n
        }
    }

    /// Makes room for `extra` more ids in the output buffer.
    @inline(__always) private func reserveOutput(_ extra: Int) {
        if outputCount + extra > outputCapacity { growOutput(outputCount + extra) }
    }

    @inline(never) private func growOutput(_ needed: Int) {
        var capacity = outputCapacity * 2
        while capacity < needed { capacity *= 2 }
        let bigger = UnsafeMutablePointer<UInt32>.allocate(capacity: capacity)
        bigger.update(from: output, count: outputCount)
        output.deallocate()
        output = bigger
        outputCapacity = capacity
    }

    /// Splits at each added token's text (leftmost, then longest), encoding the text between ordinarily.
    private func encodeWithAddedTokens(_ text: UnsafeRawBufferPointer) {
        let added = vocabulary.addedByLength
        guard !added.isEmpty, let base = text.baseAddress else {
            encodePieces(text)
            return
        }
        let n = text.count
        let bytes = base.assumingMemoryBound(to: UInt8.self)
        var segmentStart = 0
        var i = 0
        vocabulary.addedFirstBytes.withUnsafeBufferPointer { first in
            while i < n {
                guard first[Int(bytes[i])] else { i += 1; continue }
                var matched: (length: Int, id: UInt32)? = nil
                for token in added where token.bytes.count <= n - i {
                    let equal = token.bytes.withUnsafeBytes { content in
                        content.baseAddress.map { ByteStringTable.equal($0, base + i, content.count) } ?? false
                    }
                    if equal { matched = (token.bytes.count, token.id); break }
                }
                guard let (length, id) = matched else { i += 1; continue }
                encodePieces(UnsafeRawBufferPointer(rebasing: text[segmentStart..<i]))
                reserveOutput(1)
                output[outputCount] = id
                outputCount += 1
                i += length
                segmentStart = i
            }
        }
        encodePieces(UnsafeRawBufferPointer(rebasing: text[segmentStart..<n]))
    }

    /// Pre-tokenizes and merges valid UTF-8 text, appending ids to the output buffer.
    private func encodePieces(_ text: UnsafeRawBufferPointer) {
        guard let base = text.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        // A piece of n bytes gives at most n tokens, so one reservation covers the whole text.
        reserveOutput(text.count)
        let table = vocabulary.pieceTable
        let state = wholePieceState
        let out = output
        var count = outputCount
        scanner.forEachPiece(in: text) { start, end in
            let piece = base + start
            let length = end - start
            if let entry = table.find(piece, length) {
                let id = table.value(entry)
                let known = state[Int(id)]
                if known == 1 {
                    out[count] = id
                    count += 1
                    return
                }
                if known == 0 {
                    // First sight of this token as a whole piece: check that its merges build it.
                    let before = count
                    merger.merge(piece, length, vocabulary: vocabulary) { out[count] = $0; count += 1 }
                    let builds = count == before + 1 && out[before] == id
                    state[Int(id)] = builds ? 1 : 2
                    if !builds { remember(piece, length, out + before, count - before) }
                    return
                }
            }
            if let entry = cache.find(piece, length) {
                let range = cachedRanges[Int(cache.value(entry))]
                for k in Int(range.start)..<Int(range.start + range.count) {
                    out[count] = cachedIDs[k]
                    count += 1
                }
                return
            }
            let before = count
            merger.merge(piece, length, vocabulary: vocabulary) { out[count] = $0; count += 1 }
            remember(piece, length, out + before, count - before)
        }
        outputCount = count
    }

    private func remember(_ piece: UnsafePointer<UInt8>, _ length: Int, _ tokens: UnsafePointer<UInt32>, _ n: Int) {
        guard length <= BPETokenizer.cachedPieceLimit else { return }
        if cache.arenaBytes > BPETokenizer.cacheByteLimit {
            cache.removeAll()
            cachedIDs.removeAll(keepingCapacity: true)
            cachedRanges.removeAll(keepingCapacity: true)
        }
        cache.insert(piece, length, value: UInt32(cachedRanges.count))
        cachedRanges.append((Int32(cachedIDs.count), Int32(n)))
        cachedIDs.append(contentsOf: UnsafeBufferPointer(start: tokens, count: n))
    }

    // MARK: Decoding

    /// The bytes of the ids, concatenated. Throws for an id outside the vocabulary.
    public func decodeBytes(_ ids: [Int]) throws(TokenizerError) -> [UInt8] {
        let count = vocabulary.count
        // One pass for the exact length (and the ids' validity), one to copy.
        var total = 0
        var bad: Int? = nil
        vocabulary.tokenOffsets.withUnsafeBufferPointer { offsets in
            for id in ids {
                guard id >= 0 && id < count else { bad = id; return }
                total += Int(offsets[id + 1] &- offsets[id])
            }
        }
        if let bad { throw .unknownTokenID(bad, vocabularySize: count) }
        return vocabulary.tokenBytes.withUnsafeBufferPointer { bytes in
            vocabulary.tokenOffsets.withUnsafeBufferPointer { offsets in
                // 16 bytes of slack: tokens of up to 16 bytes (nearly all) are copied as two 8-byte
                // words, spilling harmlessly past their end into what the next token overwrites; the
                // vocabulary pads its arena so those loads stay in bounds. Measured: 3x fewer
                // instructions than appending each token to an array.
                [UInt8](unsafeUninitializedCapacity: total + 16) { buffer, initialized in
                    guard let out = buffer.baseAddress, let source = bytes.baseAddress else { initialized = 0; return }
                    let raw = UnsafeMutableRawPointer(out)
                    var position = 0
                    for id in ids {
                        let start = Int(offsets[id])
                        let length = Int(offsets[id + 1]) &- start
                        let from = source + start
                        if length <= 16 {
                            raw.storeBytes(of: ByteStringTable.load64(from), toByteOffset: position, as: UInt64.self)
                            raw.storeBytes(of: ByteStringTable.load64(from + 8), toByteOffset: position + 8, as: UInt64.self)
                        } else {
                            (out + position).update(from: from, count: length)
                        }
                        position += length
                    }
                    initialized = total
                }
            }
        }
    }

    /// The text of the ids. Throws for an unknown id, or when the bytes are not valid UTF-8 (ids cut out
    /// of a longer sequence may split a character): `decode(encodeOrdinary(s)) == s` for every string.
    public func decode(_ ids: [Int]) throws(TokenizerError) -> String {
        let bytes = try decodeBytes(ids)
        if #available(macOS 15, *) {
            // The standard library's validation is vectorised; ours only runs to say where it failed.
            if let text = String(validating: bytes, as: UTF8.self) { return text }
        } else if bytes.withUnsafeBytes({ UTF8Validation.firstInvalidOffset($0) }) == nil {
            return String(decoding: bytes, as: UTF8.self)
        }
        throw .decodedInvalidUTF8(offset: bytes.withUnsafeBytes { UTF8Validation.firstInvalidOffset($0) } ?? 0)
    }

    /// The text of the ids with any broken character replaced by U+FFFD (for showing samples as they are
    /// generated). Throws only for an unknown id.
    public func decodeLossy(_ ids: [Int]) throws(TokenizerError) -> String {
        String(decoding: try decodeBytes(ids), as: UTF8.self)
    }
}
