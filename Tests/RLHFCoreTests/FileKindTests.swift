import Foundation
import Testing
import RLHFCore
import RLHFTestSupport

@Suite struct FileKindTests {
    @Test func regularFilesThroughLinksDevicesFoldersAndNothing() throws {
        let dir = TemporaryDirectory()
        try Data(repeating: 7, count: 1234).write(to: URL(fileURLWithPath: dir.file("a.jsonl")))
        try FileManager.default.createSymbolicLink(atPath: dir.file("link.jsonl"), withDestinationPath: dir.file("a.jsonl"))
        #expect(FileKind.of(dir.file("a.jsonl")) == .regular(size: 1234))
        #expect(FileKind.of(dir.file("link.jsonl")) == .regular(size: 1234))
        #expect(FileKind.of("/dev/null") == .other)
        #expect(FileKind.of(dir.path) == .other)
        #expect(FileKind.of(dir.file("absent.jsonl")) == .missing)
    }
}
