import RLHFCore

/// Element types a safetensors file may hold (those this project reads).
public enum SafetensorsDType: String, Sendable {
    case f32 = "F32", f16 = "F16", bf16 = "BF16", f64 = "F64", i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8",
         u8 = "U8", bool = "BOOL"

    public var byteSize: Int {
        switch self {
        case .f64, .i64: return 8
        case .f32, .i32: return 4
        case .f16, .bf16, .i16: return 2
        case .i8, .u8, .bool: return 1
        }
    }
}

public struct SafetensorsEntry: Sendable, Equatable {
    public let name: String
    public let dtype: SafetensorsDType
    public let shape: [Int]
    /// Byte range within the data section (after the 8-byte length and the header).
    public let begin: Int
    public let end: Int
    public var elementCount: Int { shape.reduce(1, *) }
}

/// A parsed and validated safetensors header (format: 8-byte little-endian header length N, N bytes of
/// JSON, then the data). Validation happens before any tensor byte is read: the header length fits the
/// file, the JSON is strict, every dtype is known, every shape's byte size equals its offsets, and the
/// tensors tile the data section exactly, without holes, overlaps or trailing bytes.
public struct SafetensorsHeader: Sendable {
    /// Entries in data order.
    public let entries: [SafetensorsEntry]
    public let metadata: [String: String]
    /// Offset of the data section in the file (8 + N).
    public let dataStart: Int
    public let fileSize: Int

    /// Largest header accepted (the format's own reference implementation caps it at 100 MB).
    static let maximumHeaderBytes = 100_000_000

    public func entry(_ name: String) -> SafetensorsEntry? { entries.first { $0.name == name } }

    /// Validates `headerBytes` (the N bytes after the length) for a file of `fileSize` bytes.
    init(headerBytes: [UInt8], fileSize: Int, path: String) throws(CheckpointError) {
        func invalid(_ reason: String) -> CheckpointError { .invalidSafetensors(path: path, reason: reason) }
        let dataStart = 8 + headerBytes.count
        let json: JSONValue
        do { json = try JSONParser.parse(headerBytes) } catch {
            throw invalid("its header is not valid JSON (\(error))")
        }
        guard let object = json.objectValue else { throw invalid("its header is not a JSON object") }
        var entries: [SafetensorsEntry] = []
        var metadata: [String: String] = [:]
        for (name, value) in object {
            if name == "__metadata__" {
                guard let fields = value.objectValue else { throw invalid("__metadata__ is not an object") }
                for (key, v) in fields {
                    guard let text = v.stringValue else { throw invalid("__metadata__.\(key) is not a string") }
                    metadata[key] = text
                }
                continue
            }
            guard let fields = value.objectValue else { throw invalid("entry \(name) is not an object") }
            for key in fields.keys where !["dtype", "shape", "data_offsets"].contains(key) {
                throw invalid("entry \(name) has an unknown field \(key)")
            }
            guard let dtypeText = fields["dtype"]?.stringValue else { throw invalid("entry \(name) has no dtype") }
            guard let dtype = SafetensorsDType(rawValue: dtypeText) else {
                throw invalid("entry \(name) has unsupported dtype \(dtypeText)")
            }
            guard let shapeValues = fields["shape"]?.arrayValue else { throw invalid("entry \(name) has no shape") }
            var shape: [Int] = []
            for dimension in shapeValues {
                guard let d = dimension.intValue, d >= 0 else { throw invalid("entry \(name) has a bad shape dimension") }
                shape.append(d)
            }
            guard let offsets = fields["data_offsets"]?.arrayValue, offsets.count == 2,
                  let begin = offsets[0].intValue, let end = offsets[1].intValue, begin >= 0, begin <= end else {
                throw invalid("entry \(name) has bad data_offsets")
            }
            var bytes = dtype.byteSize
            for d in shape {
                let (product, overflow) = bytes.multipliedReportingOverflow(by: d)
                if overflow { throw invalid("entry \(name) is impossibly large") }
                bytes = product
            }
            if end - begin != bytes {
                throw invalid("entry \(name) (\(dtypeText) \(shape)) needs \(bytes) bytes but its offsets span \(end - begin)")
            }
            entries.append(SafetensorsEntry(name: name, dtype: dtype, shape: shape, begin: begin, end: end))
        }
        entries.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var position = 0
        for entry in entries {
            if entry.begin != position {
                throw invalid(entry.begin < position ? "tensor \(entry.name) overlaps the one before it"
                                                      : "there is a hole before tensor \(entry.name)")
            }
            position = entry.end
        }
        let dataBytes = fileSize - dataStart
        if position > dataBytes {
            throw .truncated(path: path, reason: "its tensors need \(position) data bytes but only \(dataBytes) are there")
        }
        if position < dataBytes {
            throw invalid("\(dataBytes - position) bytes follow the last tensor")
        }
        self.entries = entries
        self.metadata = metadata
        self.dataStart = dataStart
        self.fileSize = fileSize
    }
}
