import RLHFCore
import RLHFData

/// Export on two threads: the reading thread steps SQLite and copies each row's fields (texts,
/// hashes, ids, small codes) into a row buffer; a second thread turns full buffers into JSON lines
/// and writes them to the sink (`BackgroundConsumer`). SQLite's share of an export is about three
/// quarters of it; the JSON escaping, hex and the kernel's copy of the output go beside it.
///
/// A row in a buffer: a 68-byte header (record length, flags, tie kind, strength, shown order, three
/// ids, nine field lengths) and then the fields' bytes in the header's order.
struct ExportRowPipe: ~Copyable {
    private let consumer: BackgroundConsumer
    private var buffer: BackgroundConsumer.Buffer

    static let headerSize = 68

    /// Flags in a row header.
    static let isTie: UInt8 = 1, hasLabelID: UInt8 = 2, hasExternalID: UInt8 = 4, hasAnnotator: UInt8 = 8

    init(sink: ByteSink, format: PreferenceFormat, withMargin: Bool, storeID: String, bufferSize: Int = 1 << 20) {
        let encoder = ExportRowEncoder(sink: sink, format: format, withMargin: withMargin, storeID: storeID)
        consumer = BackgroundConsumer(bufferSize: bufferSize, consume: { try encoder.encode($0) }, atEnd: { try encoder.finish() })
        buffer = consumer.emptyBuffer()
    }

    deinit {
        // An export that failed: stop the second thread.
        consumer.retire(buffer)
        try? consumer.finish()
    }

    /// Copies one record's fields. `chosen`/`rejected` (text and hash) are already in record order.
    mutating func add(flags: UInt8, tieKind: UInt8, strength: UInt8, shown: UInt8, ids: (Int64, Int64, Int64),
                      prompt: UnsafeRawBufferPointer, chosen: UnsafeRawBufferPointer, rejected: UnsafeRawBufferPointer,
                      promptHash: UnsafeRawBufferPointer, chosenHash: UnsafeRawBufferPointer, rejectedHash: UnsafeRawBufferPointer,
                      annotator: UnsafeRawBufferPointer, source: UnsafeRawBufferPointer, externalID: UnsafeRawBufferPointer) throws {
        let size = ExportRowPipe.headerSize + prompt.count + chosen.count + rejected.count + promptHash.count + chosenHash.count
            + rejectedHash.count + annotator.count + source.count + externalID.count
        if buffer.count + size > buffer.capacity {
            if buffer.count > 0 { buffer = try consumer.submit(buffer) }
            if size > buffer.capacity { buffer = consumer.grow(buffer, to: max(size, 2 * buffer.capacity)) }
        }
        let base = UnsafeMutableRawPointer(buffer.pointer + buffer.count)
        base.storeBytes(of: UInt32(size), toByteOffset: 0, as: UInt32.self)
        base.storeBytes(of: flags, toByteOffset: 4, as: UInt8.self)
        base.storeBytes(of: tieKind, toByteOffset: 5, as: UInt8.self)
        base.storeBytes(of: strength, toByteOffset: 6, as: UInt8.self)
        base.storeBytes(of: shown, toByteOffset: 7, as: UInt8.self)
        base.storeBytes(of: ids.0, toByteOffset: 8, as: Int64.self)
        base.storeBytes(of: ids.1, toByteOffset: 16, as: Int64.self)
        base.storeBytes(of: ids.2, toByteOffset: 24, as: Int64.self)
        var data = ExportRowPipe.headerSize
        @inline(__always) func put(_ field: UnsafeRawBufferPointer, _ k: Int) {
            base.storeBytes(of: UInt32(field.count), toByteOffset: 32 + 4 * k, as: UInt32.self)
            if field.count > 0 { (base + data).copyMemory(from: field.baseAddress!, byteCount: field.count) }
            data += field.count
        }
        put(prompt, 0); put(chosen, 1); put(rejected, 2)
        put(promptHash, 3); put(chosenHash, 4); put(rejectedHash, 5)
        put(annotator, 6); put(source, 7); put(externalID, 8)
        buffer.count += size
    }

    /// Hands over the last rows and waits until everything is written to the sink.
    mutating func finish() throws {
        if buffer.count > 0 { buffer = try consumer.submit(buffer) }
        try consumer.finish()
    }
}

/// The second thread's half: row buffers in, JSON lines out.
final class ExportRowEncoder: @unchecked Sendable {
    /// Used by the one encoding thread only; unchecked, because a dynamic exclusivity check on every
    /// write of a few bytes was a third of that thread's time.
    @exclusivity(unchecked) private var out: ExportWriter
    private let format: PreferenceFormat
    private let withMargin: Bool
    private var storeID: [UInt8]

    init(sink: ByteSink, format: PreferenceFormat, withMargin: Bool, storeID: String) {
        out = ExportWriter(sink: sink)
        self.format = format
        self.withMargin = withMargin
        self.storeID = Array(storeID.utf8)
    }

    func finish() throws { try out.flush() }

    func encode(_ rows: UnsafeRawBufferPointer) throws {
        var position = 0
        while position < rows.count {
            let base = rows.baseAddress! + position
            let size = Int(base.loadUnaligned(fromByteOffset: 0, as: UInt32.self))
            let flags = base.load(fromByteOffset: 4, as: UInt8.self)
            var data = ExportRowPipe.headerSize
            @inline(__always) func field(_ k: Int) -> UnsafeRawBufferPointer {
                let n = Int(base.loadUnaligned(fromByteOffset: 32 + 4 * k, as: UInt32.self))
                defer { data += n }
                return UnsafeRawBufferPointer(start: base + data, count: n)
            }
            let prompt = field(0), chosen = field(1), rejected = field(2)
            let promptHash = field(3), chosenHash = field(4), rejectedHash = field(5)
            let annotator = field(6), source = field(7), externalID = field(8)
            try record(flags: flags, tieKind: base.load(fromByteOffset: 5, as: UInt8.self),
                       strength: base.load(fromByteOffset: 6, as: UInt8.self), shown: base.load(fromByteOffset: 7, as: UInt8.self),
                       ids: (base.loadUnaligned(fromByteOffset: 8, as: Int64.self), base.loadUnaligned(fromByteOffset: 16, as: Int64.self),
                             base.loadUnaligned(fromByteOffset: 24, as: Int64.self)),
                       prompt: prompt, chosen: chosen, rejected: rejected, promptHash: promptHash, chosenHash: chosenHash,
                       rejectedHash: rejectedHash, annotator: annotator, source: source, externalID: externalID)
            position += size
        }
    }

    /// One JSON line, in the order of `Store.writeRecord` and `PreferenceMetaCodec.write`.
    private func record(flags: UInt8, tieKind: UInt8, strength: UInt8, shown: UInt8, ids: (Int64, Int64, Int64),
                        prompt: UnsafeRawBufferPointer, chosen: UnsafeRawBufferPointer, rejected: UnsafeRawBufferPointer,
                        promptHash: UnsafeRawBufferPointer, chosenHash: UnsafeRawBufferPointer, rejectedHash: UnsafeRawBufferPointer,
                        annotator: UnsafeRawBufferPointer, source: UnsafeRawBufferPointer, externalID: UnsafeRawBufferPointer) throws {
        switch format {
        case .trl:
            try out.raw("{\"prompt\":"); try out.string(prompt)
            try out.raw(",\"chosen\":"); try out.string(chosen)
            try out.raw(",\"rejected\":"); try out.string(rejected)
            if withMargin {
                try out.raw(",\"margin\":")
                try out.raw(MarginTable.text(for: Strength(rawValue: Int(strength))))
            }
        case .hh:
            try out.raw("{\"chosen\":"); try out.string(concatenating: prompt, chosen)
            try out.raw(",\"rejected\":"); try out.string(concatenating: prompt, rejected)
        }
        try out.raw(",\"meta\":{\"id\":")
        if flags & ExportRowPipe.hasExternalID != 0 {
            try out.string(externalID)
        } else {
            try out.byte(0x22)
            try storeID.withUnsafeBytes { try out.verbatim($0) }
            try out.byte(UInt8(ascii: ":"))
            if flags & ExportRowPipe.hasLabelID != 0 {
                try out.int(ids.0)
            } else {
                try out.byte(UInt8(ascii: "r")); try out.int(ids.0)
                try out.byte(UInt8(ascii: ":")); try out.int(ids.1)
                try out.byte(UInt8(ascii: "-")); try out.int(ids.2)
            }
            try out.byte(0x22)
        }
        try out.raw(",\"prompt_sha256\":"); try out.hexString(promptHash)
        try out.raw(",\"chosen_sha256\":"); try out.hexString(chosenHash)
        try out.raw(",\"rejected_sha256\":"); try out.hexString(rejectedHash)
        try out.raw(flags & ExportRowPipe.isTie != 0 ? ",\"winner\":\"tie\",\"tie_kind\":" : ",\"winner\":\"chosen\",\"tie_kind\":")
        switch tieKind {
        case 1: try out.raw("\"plain\"")
        case 2: try out.raw("\"both-good\"")
        case 3: try out.raw("\"both-bad\"")
        default: try out.null()
        }
        try out.raw(",\"strength\":")
        if strength != 0 { try out.int(Int64(strength)) } else { try out.null() }
        try out.raw(",\"annotator\":")
        if flags & ExportRowPipe.hasAnnotator != 0 { try out.string(annotator) } else { try out.null() }
        try out.raw(",\"source\":"); try out.string(source)
        try out.raw(",\"shown_first\":")
        switch shown {
        case 1: try out.raw("\"chosen\"")
        case 2: try out.raw("\"rejected\"")
        default: try out.null()
        }
        if format == .hh { try out.raw(",\"prompt_bytes\":"); try out.int(Int64(prompt.count)) }
        try out.raw("}}\n")
    }
}
