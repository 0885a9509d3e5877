import Testing

@Test func RLHFTokenizerTestsBuilds() { #expect(1 + 1 == 2) }
