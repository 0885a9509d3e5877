#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One flat allocation of floats: parameters, gradients, AdamW moments and activations each live in
/// one of these (llm.c style), with named views computed from offsets. `calloc` rather than
/// `posix_memalign` + `memset`: large blocks come straight from zeroed pages, so memory that is never
/// touched (a batch smaller than the capacity) never counts towards the resident set.
public final class FloatBuffer: @unchecked Sendable {
    public let count: Int
    public let pointer: UnsafeMutablePointer<Float>

    public init(count: Int) {
        precondition(count >= 0, "negative buffer size")
        self.count = count
        guard let raw = calloc(max(count, 1), MemoryLayout<Float>.stride) else {
            fatalError("out of memory allocating \(count) floats (\(count * 4 / 1_048_576) MiB)")
        }
        pointer = raw.assumingMemoryBound(to: Float.self)
    }

    deinit { free(pointer) }

    public subscript(index: Int) -> Float {
        get { pointer[index] }
        set { pointer[index] = newValue }
    }

    public func zero() { memset(pointer, 0, count * MemoryLayout<Float>.stride) }

    public func copy(from other: FloatBuffer) {
        precondition(other.count == count, "buffer sizes differ: \(other.count) vs \(count)")
        memcpy(pointer, other.pointer, count * MemoryLayout<Float>.stride)
    }

    public var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    /// A window of `count` floats starting at `offset`.
    public func view(_ offset: Int, _ count: Int) -> UnsafeMutableBufferPointer<Float> {
        precondition(offset >= 0 && offset + count <= self.count, "view out of range")
        return UnsafeMutableBufferPointer(start: pointer + offset, count: count)
    }
}
