import CZlib
import RLHFCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a gzip file through zlib's streaming inflate (gzread), a buffer at a time, so a
/// multi-gigabyte `.jsonl.gz` never sits in memory.
public final class GzipSource: ByteSource {
    private let file: gzFile
    public let name: String

    public init(path: String) throws {
        guard let file = gzopen(path, "rb") else {
            throw InputError("cannot read \(path): \(String(cString: strerror(errno)))")
        }
        gzbuffer(file, 1 << 17)
        self.file = file
        name = path
    }

    deinit { gzclose(file) }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let chunk = UInt32(min(buffer.count, Int(Int32.max)))
        let n = gzread(file, buffer.baseAddress, chunk)
        // A truncated stream ends with 0 bytes and Z_BUF_ERROR set, not with -1: check at the end too.
        if n <= 0 {
            var code: Int32 = 0
            let message = String(cString: gzerror(file, &code))
            if n < 0 || code != Z_OK {
                throw InputError("cannot read \(name): \(message) (the gzip stream is damaged or truncated)")
            }
        }
        return Int(n)
    }
}

/// Opens a data file for line reading: `.gz` through zlib, anything else as is, `-` as stdin.
public enum DataFile {
    public static func lineReader(path: String, stdin: ByteSource? = nil) throws -> LineReader {
        if path == "-", let stdin { return LineReader(source: stdin) }
        if path.hasSuffix(".gz") { return LineReader(source: try GzipSource(path: path)) }
        return LineReader(source: try FileDescriptorSource(path: path))
    }
}
