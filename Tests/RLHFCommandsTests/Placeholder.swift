import Testing

@Test func RLHFCommandsTestsBuilds() { #expect(1 + 1 == 2) }
