#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RLHFCore

/// Writes safetensors files: header JSON padded with spaces to a multiple of 8 bytes (as the reference
/// implementation does), tensors back to back in the order given. Hashes while writing, so a manifest
/// never reads the file back.
public enum SafetensorsWriter {
    public struct Tensor {
        public let name: String
        public let dtype: SafetensorsDType
        public let shape: [Int]
        public let bytes: UnsafeRawBufferPointer

        public init(name: String, shape: [Int], floats: UnsafeBufferPointer<Float>) {
            precondition(shape.reduce(1, *) == floats.count, "shape \(shape) does not match \(floats.count) floats")
            self.name = name
            dtype = .f32
            self.shape = shape
            bytes = UnsafeRawBufferPointer(floats)
        }

        public init(name: String, dtype: SafetensorsDType, shape: [Int], bytes: UnsafeRawBufferPointer) {
            precondition(shape.reduce(1, *) * dtype.byteSize == bytes.count, "shape does not match the bytes")
            self.name = name
            self.dtype = dtype
            self.shape = shape
            self.bytes = bytes
        }
    }

    /// Writes the file and returns its size and sha256 (hex).
    @discardableResult
    public static func write(_ tensors: [Tensor], metadata: [String: String] = ["format": "pt"],
                             to path: String) throws(CheckpointError) -> FileDigest {
        var json = JSONWriter()
        json.raw("{")
        var first = true
        if !metadata.isEmpty {
            json.key("__metadata__", first: true)
            json.value(.object(JSONObject(metadata.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.string($0.value)) })))
            first = false
        }
        var offset = 0
        for tensor in tensors {
            if !first { json.raw(",") }
            first = false
            json.string(tensor.name)
            json.raw(":{\"dtype\":")
            json.string(tensor.dtype.rawValue)
            json.raw(",\"shape\":[")
            json.rawString(tensor.shape.map(String.init).joined(separator: ","))
            json.raw("],\"data_offsets\":[")
            json.rawString("\(offset),\(offset + tensor.bytes.count)")
            json.raw("]}")
            offset += tensor.bytes.count
        }
        json.raw("}")
        var header = json.bytes
        while header.count % 8 != 0 { header.append(0x20) }
        var prefix = [UInt8]()
        let length = UInt64(header.count)
        for i in 0..<8 { prefix.append(UInt8(truncatingIfNeeded: length >> (8 * UInt64(i)))) }

        let file = try OutputFile(path: path)
        try file.write(prefix)
        try file.write(header)
        for tensor in tensors { try file.write(tensor.bytes) }
        return try file.finish()
    }
}

/// Size and sha256 of a written file.
public struct FileDigest: Equatable, Sendable {
    public let bytes: Int
    public let sha256: String
}

/// A file written in full or reported: POSIX writes, hashed as they go, fsync'd on finish.
final class OutputFile {
    let path: String
    private var descriptor: Int32
    private var hasher = SHA256()
    private var written = 0

    init(path: String) throws(CheckpointError) {
        self.path = path
        descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if descriptor < 0 { throw .writeFailed(path: path, reason: String(cString: strerror(errno))) }
    }

    deinit { if descriptor >= 0 { close(descriptor) } }

    func write(_ bytes: [UInt8]) throws(CheckpointError) {
        let copy = bytes
        let result = copy.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> CheckpointError? in
            do throws(CheckpointError) { try write(raw) } catch { return error }
            return nil
        }
        if let result { throw result }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws(CheckpointError) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        hasher.update(bytes)
        var done = 0
        while done < bytes.count {
            let n = Glibc_write(descriptor, base + done, min(bytes.count - done, 1 << 30))
            if n < 0 {
                if errno == EINTR { continue }
                throw .writeFailed(path: path, reason: String(cString: strerror(errno)))
            }
            done += n
        }
        written += bytes.count
    }

    func finish() throws(CheckpointError) -> FileDigest {
        if fsync(descriptor) != 0 { throw .writeFailed(path: path, reason: String(cString: strerror(errno))) }
        if close(descriptor) != 0 { descriptor = -1; throw .writeFailed(path: path, reason: String(cString: strerror(errno))) }
        descriptor = -1
        return FileDigest(bytes: written, sha256: Hex.encode(hasher.finalize()))
    }
}

@inline(__always) private func Glibc_write(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(fd, p, n)
    #else
    return Darwin.write(fd, p, n)
    #endif
}
