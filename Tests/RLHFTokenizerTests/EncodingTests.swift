import RLHFCore
import Testing
@testable import RLHFTokenizer

@Suite struct EncodingTests {
    let gpt2 = TestData.gpt2FromGPT2Files

    @Test func everyHHTextRoundTrips() throws {
        let tokenizer = BPETokenizer(vocabulary: gpt2)
        #expect(TestData.hhTexts.count == 4624)
        var mismatches = 0
        for text in TestData.hhTexts {
            let ids = tokenizer.encodeOrdinary(text)
            if try tokenizer.decode(ids) != text { mismatches += 1 }
            // No HH text holds <|endoftext|>, so the two encodings agree.
            if tokenizer.encodeAllowingSpecialTokens(text) != ids { mismatches += 1 }
        }
        #expect(mismatches == 0)
    }

    /// A cache filled by earlier texts must not change later results.
    @Test func aWarmTokenizerEncodesLikeAFreshOne() {
        let warm = BPETokenizer(vocabulary: gpt2)
        for text in TestData.hhTexts.prefix(1000) { _ = warm.encodeOrdinary(text) }
        for c in TestData.cases {
            #expect(warm.encodeAllowingSpecialTokens(c.text) == c.ids, "line \(c.line)")
        }
    }

    @Test func ordinaryEncodingNeverYieldsEndOfText() throws {
        let tokenizer = BPETokenizer(vocabulary: gpt2)
        let eot = try #require(gpt2.endOfTextID)
        #expect(eot == 50256)
        var texts = TestData.cases.map(\.text).filter { $0.contains("<|endoftext|>") }
        #expect(!texts.isEmpty)
        texts += TestData.hhTexts.prefix(200).map { text in
            let middle = text.index(text.startIndex, offsetBy: text.count / 2)
            return text[..<middle] + "<|endoftext|>" + text[middle...]
        }
        texts += ["<|endoftext|>", " <|endoftext|>", "<|endoftext|><|endoftext|>", "x<|endoftext|>y"]
        for text in texts {
            let ordinary = tokenizer.encodeOrdinary(text)
            #expect(!ordinary.contains(eot), "\(String(reflecting: text).prefix(80))")
            #expect(try tokenizer.decode(ordinary) == text)
            #expect(tokenizer.encodeAllowingSpecialTokens(text).contains(eot))
        }
        #expect(tokenizer.encodeOrdinary("<|endoftext|>") == [27, 91, 437, 1659, 5239, 91, 29])
    }

    @Test func randomValidUTF8RoundTrips() throws {
        let tokenizer = BPETokenizer(vocabulary: gpt2)
        var random = SeededRandom(seed: 11)
        for _ in 0..<2000 {
            var scalars = String.UnicodeScalarView()
            for _ in 0..<random.nextInt(below: 40) {
                // Any scalar: ASCII half the time, else anything but a surrogate.
                let value = random.nextInt(below: 2) == 0 ? UInt32(random.nextInt(below: 128))
                    : UInt32(random.nextInt(below: 0x110000))
                if let scalar = Unicode.Scalar(value) { scalars.append(scalar) }
            }
            let text = String(scalars)
            #expect(try tokenizer.decode(tokenizer.encodeOrdinary(text)) == text)
            #expect(try tokenizer.decode(tokenizer.encodeAllowingSpecialTokens(text)) == text)
        }
    }

    /// Long pieces take the heap merge; it must agree with the quadratic one and stay fast.
    @Test func longPiecesMergeLikeShortOnes() throws {
        let heap = BPETokenizer(vocabulary: gpt2)
        let quadratic = BPETokenizer(vocabulary: gpt2, shortPieceLimit: Int.max)
        var random = SeededRandom(seed: 3)
        let base64 = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        let blob = String((0..<5000).map { _ in base64[random.nextInt(below: base64.count)] })
        for text in [String(repeating: " ", count: 3000) + "x", String(repeating: "a", count: 3001), blob,
                     String(repeating: "ab", count: 1500), String(repeating: "字", count: 1000)] {
            let ids = heap.encodeOrdinary(text)
            #expect(ids == quadratic.encodeOrdinary(text))
            #expect(try heap.decode(ids) == text)
        }
        // A 200,000-space run is one piece: linearithmic, so this stays well under a second.
        let spaces = String(repeating: " ", count: 200_000)
        #expect(try heap.decode(heap.encodeOrdinary(spaces)) == spaces)
    }

    @Test func invalidUTF8IsAnErrorNotACrash() throws {
        let tokenizer = BPETokenizer(vocabulary: gpt2)
        for (bytes, offset) in [([0x61, 0xFF, 0x62], 1), ([0x61, 0x62, 0xE2, 0x82], 2), ([0xED, 0xA0, 0x80], 0),
                                ([0xC0, 0xAF], 0)] as [([UInt8], Int)] {
            #expect(throws: TokenizerError.invalidUTF8(source: "input", offset: offset)) {
                try tokenizer.encodeOrdinary(utf8: bytes)
            }
            #expect(throws: TokenizerError.invalidUTF8(source: "input", offset: offset)) {
                try tokenizer.encodeAllowingSpecialTokens(utf8: bytes)
            }
        }
        #expect(try tokenizer.encodeOrdinary(utf8: Array("héllo\u{0}".utf8)) == tokenizer.encodeOrdinary("héllo\u{0}"))
    }

    /// Every token alone and all of them in a row: tokens longer than the 16-byte fast copy included.
    @Test func decodeBytesOfEveryToken() throws {
        let tokenizer = BPETokenizer(vocabulary: gpt2)
        var all: [UInt8] = []
        var longest = 0
        for id in 0..<gpt2.count {
            let bytes = try #require(gpt2.bytes(of: id))
            longest = max(longest, bytes.count)
            #expect(try tokenizer.decodeBytes([id]) == bytes, "token \(id)")
            all += bytes
        }
        #expect(longest > 16)
        #expect(try tokenizer.decodeBytes(Array(0..<gpt2.count)) == all)
        #expect(try tokenizer.decodeBytes(Array((0..<gpt2.count).reversed())).count == all.count)
        #expect(try tokenizer.decodeBytes([]) == [])
    }

    @Test func decodeRefusesUnknownIdsAndSplitCharacters() throws {
        let tokenizer = BPETokenizer(vocabulary: gpt2)
        #expect(throws: TokenizerError.unknownTokenID(50257, vocabularySize: 50257)) { try tokenizer.decode([31373, 50257]) }
        #expect(throws: TokenizerError.unknownTokenID(-1, vocabularySize: 50257)) { try tokenizer.decode([-1]) }
        // 字 is three byte tokens; the first alone is not UTF-8.
        let ids = tokenizer.encodeOrdinary("字")
        #expect(ids.count > 1)
        #expect(throws: TokenizerError.decodedInvalidUTF8(offset: 0)) { try tokenizer.decode([ids[0]]) }
        #expect(try tokenizer.decodeLossy([ids[0]]) == "\u{FFFD}")
        #expect(try tokenizer.decodeBytes([ids[0]]).count < 3)
    }
}
