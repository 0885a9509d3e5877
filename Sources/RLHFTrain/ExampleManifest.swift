import RLHFCore

/// The examples a run trains on, fixed when it starts, so `--resume` continues on exactly these even if
/// prompts, completions or labels were added (or splits reassigned) since. Generic over what an example
/// is: a trainer names its `kind` ("sft-pairs", "corpus", a reward model's "preference-pairs"), lists its
/// example ids set by set in training order, and gives each example's content as text for the hash.
/// Written into every checkpoint as `training_examples.json`; its hash also goes into the run's
/// configuration in the store and the trainer state. On resume a command reads the ids back, fetches
/// those rows again, rebuilds the manifest from them and checks the hash (`verify(rebuilt:)`).
public struct ExampleManifest: Equatable, Sendable {
    public static let fileName = "training_examples.json"

    /// Pretraining's examples: corpus files, identified by content.
    public struct CorpusFile: Equatable, Sendable {
        public let path: String
        public let bytes: Int
        public let sha256: String

        public init(path: String, contents: [UInt8]) {
            self.path = path
            bytes = contents.count
            sha256 = SHA256.hex(bytes: contents)
        }

        init(path: String, bytes: Int, sha256: String) {
            self.path = path
            self.bytes = bytes
            self.sha256 = sha256
        }
    }

    public static let corpusKind = "corpus"

    public let kind: String
    /// Example ids by set name ("train", "validation", "test"), in training order.
    public let sets: [(name: String, ids: [Int64])]
    /// Corpus files (kind "corpus" only).
    public let files: [CorpusFile]
    /// SHA-256 over the kind, every set's name and each example's id and content hash, or each corpus
    /// file's size and hash.
    public let sha256: String

    public static func == (a: ExampleManifest, b: ExampleManifest) -> Bool {
        a.kind == b.kind && a.files == b.files && a.sha256 == b.sha256
            && a.sets.map(\.name) == b.sets.map(\.name) && a.sets.map(\.ids) == b.sets.map(\.ids)
    }

    /// Examples identified by id; `content(set, i)` is the i-th example's text as the trainer sees it
    /// (for SFT the prompt and the completion), hashed so an edited row is noticed too.
    public init(kind: String, sets: [(name: String, ids: [Int64])], content: (Int, Int) -> [String]) {
        var hasher = SHA256()
        hasher.update("kind \(kind)\n")
        for (s, set) in sets.enumerated() {
            hasher.update("set \(set.name) \(set.ids.count)\n")
            for (i, id) in set.ids.enumerated() {
                hasher.update("\(id)")
                for text in content(s, i) { hasher.update(" " + SHA256.hex(text)) }
                hasher.update("\n")
            }
        }
        self.init(kind: kind, sets: sets, files: [], sha256: Hex.encode(hasher.finalize()))
    }

    private init(kind: String, sets: [(name: String, ids: [Int64])], files: [CorpusFile], sha256: String) {
        self.kind = kind
        self.sets = sets
        self.files = files
        self.sha256 = sha256
    }

    /// SFT's manifest: completion ids (the store's), hashed with their prompt and completion texts.
    public static func pairs(_ sets: [(name: String, pairs: [PromptCompletion])]) -> ExampleManifest {
        ExampleManifest(kind: "sft-pairs", sets: sets.map { ($0.name, $0.pairs.map(\.id)) }) { s, i in
            [sets[s].pairs[i].prompt, sets[s].pairs[i].completion]
        }
    }

    public static func corpus(_ files: [CorpusFile]) -> ExampleManifest {
        var hasher = SHA256()
        hasher.update("kind \(corpusKind)\n")
        for file in files { hasher.update("\(file.bytes) \(file.sha256)\n") }
        return ExampleManifest(kind: corpusKind, sets: [], files: files, sha256: Hex.encode(hasher.finalize()))
    }

    public func ids(_ set: String) -> [Int64] { sets.first { $0.name == set }?.ids ?? [] }

    /// Throws unless `rebuilt` (the same ids fetched again) hashes the same: rows were edited or deleted.
    public func verify(rebuilt: ExampleManifest, source: String) throws(TrainingError) {
        guard rebuilt.sha256 == sha256 else {
            throw .resumeMismatch("\(source): the run's training examples changed since it started (hash \(sha256.prefix(12)), now \(rebuilt.sha256.prefix(12))); rows were edited or deleted, so it cannot continue exactly")
        }
    }

    /// Compact JSON (ids on one line: thousands of them).
    public func json() -> [UInt8] {
        var pairs: [(String, JSONValue)] = [
            ("format", .string("rlhf-training-examples")), ("version", .int(1)), ("kind", .string(kind)),
            ("sha256", .string(sha256)),
        ]
        if kind == Self.corpusKind {
            pairs.append(("files", .array(files.map {
                .object(JSONObject([("path", .string($0.path)), ("bytes", .int($0.bytes)), ("sha256", .string($0.sha256))]))
            })))
        } else {
            // A list of [name, ids] keeps the sets' order whatever a JSON reader does with object keys.
            pairs.append(("sets", .array(sets.map {
                .array([.string($0.name), .array($0.ids.map { .int(Int($0)) })])
            })))
        }
        return Array((JSONWriter.encode(.object(JSONObject(pairs))) + "\n").utf8)
    }

    public static func parse(_ bytes: [UInt8], path: String) throws(TrainingError) -> ExampleManifest {
        func bad(_ why: String) -> TrainingError { .resumeMismatch("\(path): \(why)") }
        guard let json = try? JSONParser.parse(bytes), let object = json.objectValue,
              object["format"]?.stringValue == "rlhf-training-examples", object["version"]?.intValue == 1 else {
            throw bad("not an rlhf training-examples file of version 1")
        }
        guard let kind = object["kind"]?.stringValue, let sha = object["sha256"]?.stringValue else {
            throw bad("kind or sha256 missing")
        }
        var sets: [(name: String, ids: [Int64])] = []
        var files: [CorpusFile] = []
        if kind == corpusKind {
            guard let listed = object["files"]?.arrayValue else { throw bad("files missing") }
            for item in listed {
                guard let o = item.objectValue, let p = o["path"]?.stringValue, let n = o["bytes"]?.intValue,
                      let s = o["sha256"]?.stringValue else { throw bad("a corpus file entry is malformed") }
                files.append(CorpusFile(path: p, bytes: n, sha256: s))
            }
        } else {
            guard let listed = object["sets"]?.arrayValue else { throw bad("sets missing") }
            for entry in listed {
                guard let pair = entry.arrayValue, pair.count == 2, let name = pair[0].stringValue,
                      let items = pair[1].arrayValue else { throw bad("a set is not [name, [ids]]") }
                var ids: [Int64] = []
                ids.reserveCapacity(items.count)
                for item in items {
                    guard let id = item.intValue else { throw bad("set \(name) holds a value that is not an id") }
                    ids.append(Int64(id))
                }
                sets.append((name, ids))
            }
        }
        return ExampleManifest(kind: kind, sets: sets, files: files, sha256: sha)
    }
}
