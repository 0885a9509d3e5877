import Testing

@Test func RLHFDataTestsBuilds() { #expect(1 + 1 == 2) }
