import Foundation
import RLHFCore
import RLHFData

/// Parses, validates and hashes lines on a second thread while the store writes the lines before
/// them: the two halves of an import each take about as long, and the machine has two cores.
/// Batches keep the order of the file; the first bad line ends the stream, so the writer stops there
/// and the whole import rolls back.
///
/// Preference records travel packed (`PackedPreferences`): their texts copied into one byte buffer
/// per batch, with digests and a per-import prompt number, so the writer binds them to SQLite
/// without copies and without a Swift object per record. Spent batches go back to this thread to be
/// freed (`recycle`): freeing a million records' strings is work the writer should not do.
final class ImportPipeline: @unchecked Sendable {
    enum Item: Sendable {
        /// A preference record: its row in the batch's `preferences`.
        case preference(Int)
        case record(ImportRecord)
        case bad(RecordError)
        case readFailure(String)
    }

    struct Batch: Sendable {
        let firstLine: Int
        let items: [Item]
        let preferences: PackedPreferences
    }

    private let condition = NSCondition()
    private var ready: [Batch] = []
    private var spent: [Batch] = []
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
        var promptNumbers: [Digest: Int32] = [:]
        var stop = false
        while !stop {
            var items: [Item] = []
            items.reserveCapacity(batchSize)
            let preferences = PackedPreferences()
            let firstLine = reader.lineNumber + 1
            do {
                while items.count < batchSize {
                    let more = try reader.nextLine { line -> Bool in
                        do {
                            let record = try ImportRecord.parse(line, kind: kind, format: format, promptCache: promptCache)
                            if case let .preference(prompt, chosen, rejected, margin, meta) = record {
                                let number: Int32
                                if let known = promptNumbers[prompt.digest] {
                                    number = known
                                } else {
                                    number = Int32(promptNumbers.count)
                                    promptNumbers[prompt.digest] = number
                                }
                                let row = preferences.append(line: reader.lineNumber, prompt: prompt, promptNumber: number,
                                                             chosen: chosen, rejected: rejected, margin: margin, meta: meta)
                                items.append(.preference(row))
                            } else {
                                items.append(.record(record))
                            }
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
            if !items.isEmpty { ready.append(Batch(firstLine: firstLine, items: items, preferences: preferences)) }
            if stop { producerDone = true }
            let toFree = spent
            spent = []
            condition.broadcast()
            condition.unlock()
            _ = toFree   // released here, on this thread
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

    /// Hands a written batch back, to be freed on the parsing thread (or with the pipeline).
    func recycle(_ batch: consuming Batch) {
        condition.lock()
        spent.append(batch)
        condition.unlock()
    }

    /// Stops the parsing thread (the writer failed, or is done).
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }
}

/// The preference records of one batch: texts in one byte buffer, digests beside them.
final class PackedPreferences: @unchecked Sendable {
    /// A text in `bytes`, with its SHA-256.
    struct Text {
        var offset: Int
        var count: Int
        var digest: Digest
    }

    struct Row {
        var line: Int
        var prompt: Text
        /// The prompt's number in this import (0, 1, 2, ... by first appearance), so the writer finds
        /// its id in an array instead of a dictionary of digests.
        var promptNumber: Int32
        var chosen: Text
        var rejected: Text
        var margin: Double?
        var hasMeta: Bool
    }

    private(set) var rows: [Row] = []
    /// Meta objects of the rows that have one (our own exports), by row.
    private(set) var metas: [Int: PreferenceMeta] = [:]
    private var storage: UnsafeMutableRawPointer
    private var capacity: Int
    private var used = 0

    init(capacity: Int = 1 << 19) {
        self.capacity = capacity
        storage = .allocate(byteCount: capacity, alignment: 16)
        rows.reserveCapacity(1024)
    }

    deinit { storage.deallocate() }

    /// Copies the digest (32 bytes) and then the text into the buffer.
    private func add(_ text: HashedText) -> Text {
        var s = text.text
        return s.withUTF8 { utf8 in
            let n = utf8.count
            if used + 32 + n > capacity {
                let bigger = max(2 * capacity, used + 32 + n)
                let moved = UnsafeMutableRawPointer.allocate(byteCount: bigger, alignment: 16)
                moved.copyMemory(from: storage, byteCount: used)
                storage.deallocate()
                storage = moved
                capacity = bigger
            }
            text.digest.withBytes { (storage + used).copyMemory(from: $0.baseAddress!, byteCount: 32) }
            used += 32
            if n > 0 { (storage + used).copyMemory(from: utf8.baseAddress!, byteCount: n) }
            defer { used += n }
            return Text(offset: used, count: n, digest: text.digest)
        }
    }

    func append(line: Int, prompt: HashedText, promptNumber: Int32, chosen: HashedText, rejected: HashedText,
                margin: Double?, meta: PreferenceMeta?) -> Int {
        let row = Row(line: line, prompt: add(prompt), promptNumber: promptNumber, chosen: add(chosen),
                      rejected: add(rejected), margin: margin, hasMeta: meta != nil)
        rows.append(row)
        if let meta { metas[rows.count - 1] = meta }
        return rows.count - 1
    }

    /// The text's bytes: valid while this object lives.
    @inline(__always) func bytes(_ text: Text) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: storage + text.offset, count: text.count)
    }

    /// The digest's 32 bytes, stored just before the text: valid while this object lives.
    @inline(__always) func digestBytes(_ text: Text) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: storage + text.offset - 32, count: 32)
    }

    func string(_ text: Text) -> String { String(decoding: bytes(text), as: UTF8.self) }

    func hashed(_ text: Text) -> HashedText { HashedText(text: string(text), precomputedDigest: text.digest) }

    func meta(_ row: Int) -> PreferenceMeta? { rows[row].hasMeta ? metas[row] : nil }
}

struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
