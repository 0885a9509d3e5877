#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a command reads bytes from: a file, stdin, a gzip stream, or memory in tests.
public protocol ByteSource: AnyObject {
    /// Reads up to `buffer.count` bytes; returns 0 at the end.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

public struct InputError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

public final class FileDescriptorSource: ByteSource {
    public let descriptor: Int32
    public let name: String
    private let closeOnDeinit: Bool

    public init(descriptor: Int32, name: String, closeOnDeinit: Bool = false) {
        self.descriptor = descriptor
        self.name = name
        self.closeOnDeinit = closeOnDeinit
    }

    public convenience init(path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw InputError("cannot read \(path): \(String(cString: strerror(errno)))") }
        self.init(descriptor: fd, name: path, closeOnDeinit: true)
    }

    deinit { if closeOnDeinit { close(descriptor) } }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            #if canImport(Glibc)
            let n = Glibc.read(descriptor, buffer.baseAddress, buffer.count)
            #else
            let n = Darwin.read(descriptor, buffer.baseAddress, buffer.count)
            #endif
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw InputError("cannot read \(name): \(String(cString: strerror(errno)))")
        }
    }
}

public final class MemorySource: ByteSource {
    private let bytes: [UInt8]
    private var offset = 0
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public convenience init(_ text: String) { self.init(Array(text.utf8)) }
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, bytes.count - offset)
        guard n > 0 else { return 0 }
        bytes.withUnsafeBytes { src in
            buffer.baseAddress!.copyMemory(from: src.baseAddress! + offset, byteCount: n)
        }
        offset += n
        return n
    }
}

/// Splits a byte stream into lines (on `\n`, which is not included). Lines are handed out as a
/// pointer into the reader's buffer, valid until the next call: no copy per line on the import path.
public final class LineReader {
    private let source: ByteSource
    private var buffer: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0
    private var atEOF = false
    public private(set) var lineNumber = 0

    public init(source: ByteSource, initialCapacity: Int = 1 << 20) {
        self.source = source
        buffer = .allocate(byteCount: initialCapacity, alignment: 16)
    }

    deinit { buffer.deallocate() }

    /// Calls `body` with the next line, or returns false at the end of the input.
    /// A final line without a trailing newline is still a line.
    public func nextLine<R>(_ body: (UnsafeRawBufferPointer) throws -> R) throws -> R? {
        while true {
            if let newline = findNewline() {
                let line = UnsafeRawBufferPointer(rebasing: buffer[start..<newline])
                start = newline + 1
                lineNumber += 1
                return try body(line)
            }
            if atEOF {
                guard end > start else { return nil }
                let line = UnsafeRawBufferPointer(rebasing: buffer[start..<end])
                start = end
                lineNumber += 1
                return try body(line)
            }
            try fill()
        }
    }

    /// The next line as a fresh byte array.
    public func nextLineBytes() throws -> [UInt8]? {
        try nextLine { Array($0) }
    }

    private func findNewline() -> Int? {
        guard end > start else { return nil }
        let base = buffer.baseAddress! + start
        guard let hit = memchr(base, 0x0A, end - start) else { return nil }
        return start + (UnsafeRawPointer(hit) - UnsafeRawPointer(base))
    }

    private func fill() throws {
        if start > 0 {
            let remaining = end - start
            if remaining > 0 { memmove(buffer.baseAddress!, buffer.baseAddress! + start, remaining) }
            start = 0
            end = remaining
        }
        if end == buffer.count {
            let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: buffer.count * 2, alignment: 16)
            bigger.baseAddress!.copyMemory(from: buffer.baseAddress!, byteCount: end)
            buffer.deallocate()
            buffer = bigger
        }
        let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[end...]))
        if n == 0 { atEOF = true } else { end += n }
    }
}
