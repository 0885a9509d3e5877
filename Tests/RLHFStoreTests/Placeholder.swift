import Testing

@Test func RLHFStoreTestsBuilds() { #expect(1 + 1 == 2) }
