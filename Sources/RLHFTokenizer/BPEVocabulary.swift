/// A token that is matched as a whole in text (by `encodeAllowingSpecialTokens` only) and never produced
/// by merges, such as `<|endoftext|>`. Hugging Face calls these "added tokens"; `special` is its flag
/// (special tokens are skipped by `decode(skip_special_tokens=True)` there), kept so files round-trip.
public struct AddedToken: Sendable, Equatable {
    public let id: Int
    public let content: String
    public let special: Bool

    public init(id: Int, content: String, special: Bool = true) {
        self.id = id
        self.content = content
        self.special = special
    }
}

/// A byte-level BPE vocabulary: the bytes of every token, the merges in rank order, and the added
/// tokens. Immutable and shareable across threads; a `BPETokenizer` (one per thread) encodes with it.
///
/// Ids need not follow any layout (GPT-2 puts the 256 byte tokens first and `<|endoftext|>` last; a
/// Hugging Face trainer puts special tokens first), but they must be 0..<count without gaps, every byte
/// value must have a token, and each merge must join two tokens into a third that exists.
public final class BPEVocabulary: Sendable {
    /// Number of ids, added tokens included.
    public let count: Int
    public let addedTokens: [AddedToken]

    /// All token bytes back to back, then 16 bytes of padding; token `i` is
    /// `tokenBytes[tokenOffsets[i]..<tokenOffsets[i+1]]`.
    let tokenBytes: [UInt8]
    let tokenOffsets: [Int32]
    /// The id of the single-byte token of each byte value.
    let byteTokenIDs: [UInt32]
    /// Merges in rank order, as (left id, right id, merged id).
    let mergeList: [(UInt32, UInt32, UInt32)]
    /// Bytes -> id for every token that is not an added token.
    let pieceTable: ByteStringTable
    /// (left, right) -> rank << 32 | merged id.
    let mergeTable: PairTable
    /// Added tokens by content bytes, longest first, so the longest match at a position wins.
    let addedByLength: [(bytes: [UInt8], id: UInt32)]
    /// Whether a byte can start an added token (a fast reject while scanning for them).
    let addedFirstBytes: [Bool]
    let isAdded: [Bool]

    /// `tokens[id]` holds the bytes of token `id` (for an added token, the UTF-8 of its content);
    /// `merges` are (left id, right id) in rank order.
    public init(tokens: [[UInt8]], merges: [(Int, Int)], addedTokens: [AddedToken]) throws(TokenizerError) {
        count = tokens.count
        guard count <= Int(Int32.max) / 2 else { throw .invalidVocabulary("\(count) tokens is too many") }
        var isAdded = [Bool](repeating: false, count: count)
        for token in addedTokens {
            guard token.id >= 0 && token.id < count else {
                throw .invalidVocabulary("added token \"\(token.content)\" has id \(token.id), outside 0...\(count - 1)")
            }
            guard !token.content.isEmpty else { throw .invalidVocabulary("added token \(token.id) is empty") }
            guard !isAdded[token.id] else { throw .invalidVocabulary("id \(token.id) is given to two added tokens") }
            guard tokens[token.id] == Array(token.content.utf8) else {
                throw .invalidVocabulary("added token \(token.id) \"\(token.content)\" has other bytes in the vocabulary")
            }
            isAdded[token.id] = true
        }
        self.isAdded = isAdded
        self.addedTokens = addedTokens.sorted { $0.id < $1.id }

        var bytes: [UInt8] = []
        var offsets: [Int32] = [0]
        offsets.reserveCapacity(count + 1)
        let table = ByteStringTable(minimumCapacity: count)
        for (id, token) in tokens.enumerated() {
            bytes.append(contentsOf: token)
            offsets.append(Int32(bytes.count))
            if isAdded[id] { continue }
            guard !token.isEmpty else { throw .invalidVocabulary("token \(id) is empty") }
            let (entry, inserted) = table.insert(token, value: UInt32(id))
            guard inserted else {
                throw .invalidVocabulary("tokens \(table.value(entry)) and \(id) are both \"\(ByteLevel.spell(token))\"")
            }
        }
        // Padding so a 16-byte read from the start of any token stays in bounds (see decodeBytes).
        bytes.append(contentsOf: [UInt8](repeating: 0, count: 16))
        tokenBytes = bytes
        tokenOffsets = offsets
        pieceTable = table

        var byteIDs = [UInt32](repeating: 0, count: 256)
        for b in 0...255 {
            guard let entry = table.find([UInt8(b)]) else {
                throw .invalidVocabulary("no token for byte 0x\(String(b, radix: 16)) "
                    + "(\"\(ByteLevel.spell([UInt8(b)]))\"); byte-level BPE needs all 256 byte tokens")
            }
            byteIDs[b] = table.value(entry)
        }
        byteTokenIDs = byteIDs

        let mergeTable = PairTable(minimumCapacity: merges.count)
        var list: [(UInt32, UInt32, UInt32)] = []
        list.reserveCapacity(merges.count)
        for (rank, (left, right)) in merges.enumerated() {
            for side in [left, right] where side < 0 || side >= count || isAdded[side] {
                throw .invalidVocabulary("merge \(rank + 1) uses id \(side), which is not a BPE token")
            }
            let joined = tokens[left] + tokens[right]
            guard let entry = table.find(joined) else {
                throw .invalidVocabulary("merge \(rank + 1) (\"\(ByteLevel.spell(tokens[left]))\" "
                    + "\"\(ByteLevel.spell(tokens[right]))\") makes \"\(ByteLevel.spell(joined))\", which is not in the vocabulary")
            }
            let merged = table.value(entry)
            let key = PairTable.key(UInt32(left), UInt32(right))
            guard mergeTable.get(key, missing: PairTable.emptyKey) == PairTable.emptyKey else {
                throw .invalidVocabulary("merge \(rank + 1) (\"\(ByteLevel.spell(tokens[left]))\" "
                    + "\"\(ByteLevel.spell(tokens[right]))\") is listed twice")
            }
            mergeTable.set(key, UInt64(rank) << 32 | UInt64(merged))
            list.append((UInt32(left), UInt32(right), merged))
        }
        self.mergeTable = mergeTable
        mergeList = list

        addedByLength = addedTokens.map { (Array($0.content.utf8), UInt32($0.id)) }
            .sorted { $0.bytes.count != $1.bytes.count ? $0.bytes.count > $1.bytes.count : $0.id < $1.id }
        var first = [Bool](repeating: false, count: 256)
        for token in addedTokens { if let b = token.content.utf8.first { first[Int(b)] = true } }
        addedFirstBytes = first
    }

    public var mergeCount: Int { mergeList.count }

    /// The merges in rank order, as (left id, right id).
    public var merges: [(left: Int, right: Int)] { mergeList.map { (Int($0.0), Int($0.1)) } }

    /// The bytes of a token, or nil for an id outside the vocabulary.
    public func bytes(of id: Int) -> [UInt8]? {
        guard id >= 0 && id < count else { return nil }
        return Array(tokenBytes[Int(tokenOffsets[id])..<Int(tokenOffsets[id + 1])])
    }

    /// How the vocabulary files spell a token: GPT-2's byte-level characters (`Ġworld`), or an added
    /// token's own text.
    public func spelling(of id: Int) -> String? {
        guard let bytes = bytes(of: id) else { return nil }
        return isAdded[id] ? String(decoding: bytes, as: UTF8.self) : ByteLevel.spell(bytes)
    }

    /// The id of a token given as the files spell it.
    public func id(forSpelling spelling: String) -> Int? {
        if let added = addedTokens.first(where: { $0.content == spelling }) { return added.id }
        guard let bytes = ByteLevel.bytes(ofSpelling: spelling), let entry = pieceTable.find(bytes) else { return nil }
        return Int(pieceTable.value(entry))
    }

    /// The id of an added token by its text.
    public func addedTokenID(_ content: String) -> Int? {
        addedTokens.first(where: { $0.content == content })?.id
    }

    /// `<|endoftext|>`, appended by id after each training sequence.
    public var endOfTextID: Int? { addedTokenID("<|endoftext|>") }

    /// Whether an id is an added token.
    public func isAddedToken(_ id: Int) -> Bool { id >= 0 && id < count && isAdded[id] }
}
