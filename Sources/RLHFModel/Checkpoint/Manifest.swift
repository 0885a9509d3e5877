import RLHFCore

/// manifest.json: every file of a checkpoint with its size and sha256. Written last when saving and
/// checked first when loading; the store records the manifest's own hash, which so pins every byte.
public struct Manifest: Equatable, Sendable {
    public static let fileName = "manifest.json"
    public var files: [String: FileDigest]

    public init(files: [String: FileDigest]) { self.files = files }

    func json() -> [UInt8] {
        let entries = files.sorted { $0.key < $1.key }.map { name, digest in
            (name, JSONValue.object(JSONObject([("bytes", .int(digest.bytes)), ("sha256", .string(digest.sha256))])))
        }
        let object = JSONObject([("format", .string("rlhf-checkpoint")), ("version", .int(1)),
                                 ("files", .object(JSONObject(entries)))])
        return Array((ConfigFile.pretty(.object(object)) + "\n").utf8)
    }

    static func parse(_ bytes: [UInt8], path: String) throws(CheckpointError) -> Manifest {
        func bad(_ reason: String) -> CheckpointError { .invalidConfig(path: path, reason: reason) }
        guard let json = try? JSONParser.parse(bytes), let object = json.objectValue else {
            throw bad("not a valid JSON object; the manifest is corrupted")
        }
        guard object["format"]?.stringValue == "rlhf-checkpoint", object["version"]?.intValue == 1 else {
            throw bad("not an rlhf checkpoint manifest of version 1")
        }
        guard let listed = object["files"]?.objectValue else { throw bad("has no files object") }
        var files: [String: FileDigest] = [:]
        for (name, value) in listed {
            guard !name.isEmpty, !name.contains("/"), name != ".", name != "..", name != fileName else {
                throw bad("lists an invalid file name \"\(name)\"")
            }
            guard let entry = value.objectValue, let bytes = entry["bytes"]?.intValue, bytes >= 0,
                  let sha = entry["sha256"]?.stringValue, sha.count == 64 else {
                throw bad("has a malformed entry for \(name)")
            }
            files[name] = FileDigest(bytes: bytes, sha256: sha)
        }
        return Manifest(files: files)
    }

    /// Re-hashes every listed file in `directory` and compares.
    func verify(directory: String) throws(CheckpointError) {
        for (name, expected) in files.sorted(by: { $0.key < $1.key }) {
            let path = directory + "/" + name
            guard fileExists(path) else {
                throw .manifestMismatch(path: path, reason: "listed in the manifest but missing")
            }
            let actual = try digestFile(path)
            if actual.bytes != expected.bytes {
                throw .manifestMismatch(path: path, reason: "\(actual.bytes) bytes, the manifest says \(expected.bytes)")
            }
            if actual.sha256 != expected.sha256 {
                throw .manifestMismatch(path: path, reason: "sha256 \(actual.sha256.prefix(12))..., the manifest says \(expected.sha256.prefix(12))...")
            }
        }
    }
}
