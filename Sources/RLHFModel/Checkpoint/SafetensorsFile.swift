#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RLHFCore

/// A safetensors file opened for reading: the header is read and validated on open, tensors on demand.
public final class SafetensorsFile {
    public let path: String
    public let header: SafetensorsHeader
    private let descriptor: Int32

    public init(path: String) throws(CheckpointError) {
        self.path = path
        let fd = open(path, O_RDONLY)
        if fd < 0 {
            if errno == ENOENT { throw .missingFile(path: path) }
            throw .unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            close(fd)
            throw .unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        let fileSize = Int(info.st_size)
        do {
            guard fileSize >= 8 else {
                throw CheckpointError.truncated(path: path, reason: "\(fileSize) bytes, shorter than the 8-byte header length")
            }
            var lengthBytes = [UInt8](repeating: 0, count: 8)
            try SafetensorsFile.readFully(fd, &lengthBytes, at: 0, path: path)
            var length: UInt64 = 0
            for (i, byte) in lengthBytes.enumerated() { length |= UInt64(byte) << (8 * UInt64(i)) }
            if length > UInt64(SafetensorsHeader.maximumHeaderBytes) {
                throw CheckpointError.invalidSafetensors(path: path, reason: "header length \(length) is beyond the format's 100 MB limit")
            }
            if Int(length) > fileSize - 8 {
                throw CheckpointError.truncated(path: path, reason: "header of \(length) bytes but the file has \(fileSize)")
            }
            var headerBytes = [UInt8](repeating: 0, count: Int(length))
            try SafetensorsFile.readFully(fd, &headerBytes, at: 8, path: path)
            header = try SafetensorsHeader(headerBytes: headerBytes, fileSize: fileSize, path: path)
        } catch let error as CheckpointError {
            close(fd)
            throw error
        } catch {
            close(fd)
            throw .unreadable(path: path, reason: "\(error)")
        }
        descriptor = fd
    }

    deinit { close(descriptor) }

    private static func readFully(_ fd: Int32, _ bytes: inout [UInt8], at offset: Int, path: String) throws(CheckpointError) {
        let count = bytes.count
        let result: Int = bytes.withUnsafeMutableBytes { raw in
            guard let base = raw.baseAddress else { return 0 }   // nothing to read
            return readFully(fd, base, count: count, at: offset)
        }
        try check(result, expected: count, path: path)
    }

    /// pread until `count` bytes arrived; returns the bytes read, or -errno.
    private static func readFully(_ fd: Int32, _ destination: UnsafeMutableRawPointer, count: Int, at offset: Int) -> Int {
        var done = 0
        while done < count {
            let n = pread(fd, destination + done, min(count - done, 1 << 30), off_t(offset + done))
            if n < 0 { if errno == EINTR { continue }; return -Int(errno) }
            if n == 0 { break }
            done += n
        }
        return done
    }

    private static func check(_ result: Int, expected: Int, path: String) throws(CheckpointError) {
        if result < 0 { throw .unreadable(path: path, reason: String(cString: strerror(Int32(-result)))) }
        if result < expected { throw .truncated(path: path, reason: "the file ended while reading it") }
    }

    public func entry(_ name: String) throws(CheckpointError) -> SafetensorsEntry {
        guard let entry = header.entry(name) else { throw .missingTensor(path: path, name: name) }
        return entry
    }

    /// The raw bytes of a tensor.
    public func bytes(_ entry: SafetensorsEntry) throws(CheckpointError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: entry.end - entry.begin)
        if out.isEmpty { return out }
        try SafetensorsFile.readFully(descriptor, &out, at: header.dataStart + entry.begin, path: path)
        return out
    }

    /// Reads a floating-point tensor into `destination` (exactly `entry.elementCount` floats), converting
    /// float16 and bfloat16 to float32.
    public func readFloats(_ entry: SafetensorsEntry, into destination: UnsafeMutablePointer<Float>) throws(CheckpointError) {
        let n = entry.elementCount
        switch entry.dtype {
        case .f32:
            let result = SafetensorsFile.readFully(descriptor, UnsafeMutableRawPointer(destination), count: n * 4,
                                                   at: header.dataStart + entry.begin)
            try SafetensorsFile.check(result, expected: n * 4, path: path)
            #if _endian(big)
            for i in 0..<n { destination[i] = Float(bitPattern: UInt32(littleEndian: destination[i].bitPattern)) }
            #endif
        case .f16, .bf16:
            let raw = try bytes(entry)
            for i in 0..<n {
                let bits = UInt16(raw[2 * i]) | UInt16(raw[2 * i + 1]) << 8
                destination[i] = entry.dtype == .bf16 ? Float(bitPattern: UInt32(bits) << 16) : halfToFloat(bits)
            }
        default:
            throw .tensorMismatch(path: path, name: entry.name, reason: "has dtype \(entry.dtype.rawValue), expected a float type")
        }
    }

    public func readFloats(_ name: String) throws(CheckpointError) -> [Float] {
        let entry = try entry(name)
        var out = [Float](repeating: 0, count: entry.elementCount)
        try out.withUnsafeMutableBufferPointer { (buffer) throws(CheckpointError) in
            if let base = buffer.baseAddress { try readFloats(entry, into: base) }
        }
        return out
    }

    public func readInt64(_ name: String) throws(CheckpointError) -> [Int64] {
        let entry = try entry(name)
        guard entry.dtype == .i64 else {
            throw .tensorMismatch(path: path, name: name, reason: "has dtype \(entry.dtype.rawValue), expected I64")
        }
        let raw = try bytes(entry)
        return (0..<entry.elementCount).map { i in
            var v: UInt64 = 0
            for k in 0..<8 { v |= UInt64(raw[8 * i + k]) << (8 * UInt64(k)) }
            return Int64(bitPattern: v)
        }
    }
}

/// IEEE binary16 to binary32, subnormals and infinities included.
func halfToFloat(_ h: UInt16) -> Float {
    let sign = UInt32(h >> 15) << 31
    let exponent = Int((h >> 10) & 0x1f)
    let mantissa = UInt32(h & 0x3ff)
    if exponent == 0 {
        let value = Float(mantissa) * 0x1p-24
        return sign != 0 ? -value : value
    }
    if exponent == 31 { return Float(bitPattern: sign | 0x7f80_0000 | (mantissa << 13)) }
    return Float(bitPattern: sign | UInt32(exponent + 112) << 23 | (mantissa << 13))
}
