import Foundation
import Testing
import RLHFCore
import RLHFStore
import RLHFTestSupport

/// Two real `rlhf label` processes on one store: 2,000 pairs between them, no pair labeled twice, no
/// label lost (every label a process acknowledged is in the store).
@Suite struct ConcurrentLabelingTests {
    @Test func twoProcessesShareTheQueueWithoutDuplicatesOrLosses() throws {
        let binary = try #require(TestPaths.builtProduct("rlhf"), "the rlhf binary was not built beside the tests")
        let dir = TemporaryDirectory()
        let store = dir.file("s.sqlite")
        let sft = (0..<2000).flatMap { p in (0..<2).map { #"{"prompt": "prompt \#(p)", "completion": " reply \#(p)-\#($0)"}"# } }
        try (sft.joined(separator: "\n") + "\n").write(toFile: dir.file("sft.jsonl"), atomically: true, encoding: .utf8)
        #expect(rlhf(["import", "sft", "sft.jsonl", "--store", "s.sqlite"], in: dir).code == 0)

        func start(_ annotator: String) throws -> (Process, Pipe, Pipe) {
            let process = Process()
            process.executableURL = binary
            process.arguments = ["label", "--annotator", annotator, "--store", store]
            let input = Pipe(), output = Pipe()
            process.standardInput = input
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            return (process, input, output)
        }
        /// Reads up to the first newline: the process has claimed its first pair and waits for a decision.
        func firstLine(_ pipe: Pipe) -> Data {
            var data = Data()
            while !data.contains(0x0A) {
                let chunk = pipe.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                data.append(chunk)
            }
            return data
        }
        let (p1, i1, o1) = try start("one"), (p2, i2, o2) = try start("two")
        // Both hold a claim before either gets a decision, so both take part however the machine schedules them.
        let head1 = firstLine(o1), head2 = firstLine(o2)
        let decisions = Data(((0..<2100).map { $0 % 3 == 0 ? "b" : "a" }.joined(separator: "\n") + "\n").utf8)
        for input in [i1, i2] {
            input.fileHandleForWriting.write(decisions)
            try input.fileHandleForWriting.close()
        }
        // Read both outputs while the processes run (a full pipe would block them).
        final class Collected: @unchecked Sendable { var data = Data() }
        let c1 = Collected(), c2 = Collected()
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) { c1.data = o1.fileHandleForReading.readDataToEndOfFile() }
        DispatchQueue.global().async(group: group) { c2.data = o2.fileHandleForReading.readDataToEndOfFile() }
        group.wait()
        let out1 = head1 + c1.data, out2 = head2 + c2.data
        p1.waitUntilExit()
        p2.waitUntilExit()
        #expect(p1.terminationStatus == 0 && p2.terminationStatus == 0)

        func acknowledged(_ data: Data) throws -> [Int] {
            try String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap {
                let o = try JSONParser.parse(String($0)).objectValue!
                return o["event"] == .string("label") ? o["label_id"]!.intValue! : nil
            }
        }
        let ids1 = try acknowledged(out1), ids2 = try acknowledged(out2)
        #expect(ids1.count + ids2.count == 2000, "\(ids1.count) + \(ids2.count)")
        #expect(!ids1.isEmpty && !ids2.isEmpty, "both processes labeled")
        let s = try Store(path: store)
        #expect(try s.count("SELECT count(*) FROM labels") == 2000)
        #expect(try s.count("SELECT count(DISTINCT first_id || '-' || second_id) FROM current_labels") == 2000)
        var stored = Set<Int>()
        try s.forEachRow("SELECT id FROM labels") { stored.insert($0.int(0)) }
        #expect(stored == Set(ids1 + ids2), "every acknowledged label is in the store")
    }
}
