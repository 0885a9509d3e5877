#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a command writes bytes: a file descriptor in the product, memory in tests. Commands write
/// data to one sink (stdout) and messages to another (stderr), so tests read each exactly.
public protocol ByteSink: AnyObject {
    func write(_ bytes: UnsafeRawBufferPointer) throws
    func flush() throws
}

public extension ByteSink {
    func write(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try write($0) } }
    func write(_ string: String) throws {
        var s = string
        try s.withUTF8 { try write(UnsafeRawBufferPointer($0)) }
    }
    /// For messages: a failed write to stderr has nowhere to be reported.
    func print(_ string: String) {
        try? write(string + "\n")
        try? flush()
    }
}

public struct OutputError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// A buffered writer to a file descriptor. `flushEachWrite` is for the message stream, whose lines
/// must appear as they are written.
public final class FileDescriptorSink: ByteSink {
    public let descriptor: Int32
    private var buffer: [UInt8] = []
    private let capacity: Int
    private let closeOnDeinit: Bool
    public let flushEachWrite: Bool
    public let name: String

    public init(descriptor: Int32, name: String, capacity: Int = 1 << 16, flushEachWrite: Bool = false,
                closeOnDeinit: Bool = false) {
        self.descriptor = descriptor
        self.name = name
        self.capacity = capacity
        self.flushEachWrite = flushEachWrite
        self.closeOnDeinit = closeOnDeinit
        buffer.reserveCapacity(capacity)
    }

    /// Opens (creating or truncating) a file for writing.
    public convenience init(path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else {
            throw OutputError(message: "cannot write \(path): \(String(cString: strerror(errno)))")
        }
        self.init(descriptor: fd, name: path, closeOnDeinit: true)
    }

    deinit {
        try? flush()
        if closeOnDeinit { close(descriptor) }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        if buffer.count + bytes.count > capacity { try flush() }
        if bytes.count >= capacity {
            try writeAll(bytes)
        } else {
            buffer.append(contentsOf: bytes)
        }
        if flushEachWrite { try flush() }
    }

    public func flush() throws {
        guard !buffer.isEmpty else { return }
        defer { buffer.removeAll(keepingCapacity: true) }
        try buffer.withUnsafeBytes { try writeAll($0) }
    }

    /// fsync: for files whose bytes must survive a power cut once we say they are written.
    public func sync() throws {
        try flush()
        if fsync(descriptor) != 0 {
            throw OutputError(message: "cannot sync \(name): \(String(cString: strerror(errno)))")
        }
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc_write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw OutputError(message: "cannot write to \(name): \(String(cString: strerror(errno)))")
            }
            offset += n
        }
    }
}

@inline(__always) private func Glibc_write(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(fd, p, n)
    #else
    return Darwin.write(fd, p, n)
    #endif
}

/// Collects bytes in memory: tests run commands in-process and read what they wrote.
public final class MemorySink: ByteSink, @unchecked Sendable {
    public private(set) var bytes: [UInt8] = []
    public init() {}
    public func write(_ b: UnsafeRawBufferPointer) throws { bytes.append(contentsOf: b) }
    public func flush() throws {}
    public var text: String { String(decoding: bytes, as: UTF8.self) }
    public var lines: [String] { text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init) }
    public func clear() { bytes.removeAll() }
}
