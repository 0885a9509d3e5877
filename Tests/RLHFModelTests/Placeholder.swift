import Testing

@Test func RLHFModelTestsBuilds() { #expect(1 + 1 == 2) }
