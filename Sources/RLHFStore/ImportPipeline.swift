import Foundation
import RLHFCore
import RLHFData

/// Parses, validates and hashes lines on a second thread while the store writes the lines before
/// them: the two halves of an import each take about as long, and the machine has two cores.
/// Batches keep the order of the file; the first bad line ends the stream, so the writer stops there
/// and the whole import rolls back.
final class ImportPipeline: @unchecked Sendable {
    enum Item: Sendable {
        case record(ImportRecord)
        case bad(RecordError)
        case readFailure(String)
    }

    struct Batch: Sendable {
        let firstLine: Int
        let items: [Item]
    }

    private let condition = NSCondition()
    private var ready: [Batch] = []
    private var producerDone = false
    private var cancelled = false
    private let capacity = 8
    private let batchSize = 1024

    init(reader: LineReader, kind: ImportKind, format: PreferenceFormat?) {
        let box = UncheckedBox(reader)
        let thread = Thread { [self] in produce(box.value, kind, format) }
        thread.stackSize = 8 << 20   // parsing recursion: 64 nesting levels, comfortably
        thread.start()
    }

    private func produce(_ reader: LineReader, _ kind: ImportKind, _ format: PreferenceFormat?) {
        let promptCache = PromptDigestCache()
        var stop = false
        while !stop {
            var items: [Item] = []
            items.reserveCapacity(batchSize)
            let firstLine = reader.lineNumber + 1
            do {
                while items.count < batchSize {
                    let more = try reader.nextLine { line -> Bool in
                        do {
                            items.append(.record(try ImportRecord.parse(line, kind: kind, format: format, promptCache: promptCache)))
                            return true
                        } catch {
                            items.append(.bad(error as? RecordError ?? RecordError("\(error)")))
                            return false
                        }
                    }
                    guard let more else { stop = true; break }
                    if !more { stop = true; break }
                }
            } catch {
                items.append(.readFailure("\(error)"))
                stop = true
            }
            condition.lock()
            while ready.count >= capacity && !cancelled { condition.wait() }
            if cancelled { condition.unlock(); return }
            if !items.isEmpty { ready.append(Batch(firstLine: firstLine, items: items)) }
            if stop { producerDone = true }
            condition.broadcast()
            condition.unlock()
        }
    }

    /// The next batch in file order, or nil at the end.
    func next() -> Batch? {
        condition.lock()
        defer { condition.unlock() }
        while ready.isEmpty && !producerDone { condition.wait() }
        guard !ready.isEmpty else { return nil }
        let batch = ready.removeFirst()
        condition.broadcast()
        return batch
    }

    /// Stops the parsing thread (the writer failed, or is done).
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }
}

struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
