#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RLHFCore

/// A whole small file (config.json, manifest.json, trainer_state.json).
func readWholeFile(_ path: String) throws(CheckpointError) -> [UInt8] {
    var bytes: [UInt8] = []
    _ = try streamFile(path) { chunk in bytes.append(contentsOf: chunk) }
    return bytes
}

/// Size and sha256 of a file, read in 4 MiB pieces.
func digestFile(_ path: String) throws(CheckpointError) -> FileDigest {
    var hasher = SHA256()
    let size = try streamFile(path) { chunk in hasher.update(chunk) }
    return FileDigest(bytes: size, sha256: Hex.encode(hasher.finalize()))
}

/// Hands the file to `body` in pieces; returns its size.
private func streamFile(_ path: String, _ body: (UnsafeRawBufferPointer) -> Void) throws(CheckpointError) -> Int {
    let fd = open(path, O_RDONLY)
    if fd < 0 {
        if errno == ENOENT { throw .missingFile(path: path) }
        throw .unreadable(path: path, reason: String(cString: strerror(errno)))
    }
    defer { close(fd) }
    let capacity = 1 << 22
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 64)
    defer { buffer.deallocate() }
    var total = 0
    while true {
        let n = read(fd, buffer, capacity)
        if n < 0 {
            if errno == EINTR { continue }
            throw .unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        if n == 0 { break }
        body(UnsafeRawBufferPointer(start: buffer, count: n))
        total += n
    }
    return total
}

/// Writes a small file and returns its digest.
func writeWholeFile(_ bytes: [UInt8], to path: String) throws(CheckpointError) -> FileDigest {
    let file = try OutputFile(path: path)
    try file.write(bytes)
    return try file.finish()
}

func fileExists(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0
}
