import Foundation
import RLHFCore

/// A checkpoint folder: `model.safetensors` (Hugging Face GPT-2 names and layouts), `config.json`
/// (GPT2Config keys), optionally `trainer_state.json` + `trainer_state.safetensors` (AdamW moments, step,
/// RNG, data position), any extra files a trainer adds (tokenizer), and `manifest.json` with every
/// file's sha256. A plain Hugging Face GPT-2 folder (no manifest) loads too.
public struct Checkpoint {
    public let directory: String
    public let model: GPT2
    public let optimizer: AdamW?
    public let trainerState: TrainerState?
    /// sha256 of manifest.json, when the folder has one (what the store records).
    public let manifestHash: String?

    public static let modelFileName = "model.safetensors"
    public static let configFileName = "config.json"

    /// Loads and verifies a folder. `scalarHead`: nil keeps what the file has; true adds a zero head when
    /// the file has none (initialise it with `initializeScalarHead(seed:)`); false drops one.
    public static func load(from directory: String, scalarHead: Bool? = nil) throws(CheckpointError) -> Checkpoint {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .missingFile(path: directory)
        }
        var manifestHash: String? = nil
        let manifestPath = directory + "/" + Manifest.fileName
        if fileExists(manifestPath) {
            let bytes = try readWholeFile(manifestPath)
            let manifest = try Manifest.parse(bytes, path: manifestPath)
            for required in [modelFileName, configFileName] where manifest.files[required] == nil {
                throw .manifestMismatch(path: directory + "/" + required, reason: "not listed in the manifest")
            }
            try manifest.verify(directory: directory)
            manifestHash = SHA256.hex(bytes: bytes)
        }
        let config = try ConfigFile.read(path: directory + "/" + configFileName)
        let file = try SafetensorsFile(path: directory + "/" + modelFileName)
        let fileHasHead = file.header.entry("score.weight") != nil
        let model: GPT2
        do { model = try GPT2(config: config, scalarHead: scalarHead ?? fileHasHead) } catch {
            throw .invalidConfig(path: directory + "/" + configFileName, reason: error.description)
        }
        try readParameters(file, into: model, headFromFile: fileHasHead)

        var optimizer: AdamW? = nil
        var trainerState: TrainerState? = nil
        let statePath = directory + "/" + TrainerState.fileName
        if fileExists(statePath) {
            let parsed = try TrainerState.parse(try readWholeFile(statePath), path: statePath)
            let adamw = AdamW(config: parsed.optimizerConfig, layout: model.layout)
            adamw.step = parsed.optimizerStep
            let moments = try SafetensorsFile(path: directory + "/" + TrainerState.momentsFileName)
            for tensor in model.layout.tensors {
                let name = HuggingFaceNames.name(tensor)
                try readTensor(moments, "exp_avg." + name, tensor, into: adamw.m.pointer + tensor.offset)
                try readTensor(moments, "exp_avg_sq." + name, tensor, into: adamw.v.pointer + tensor.offset)
            }
            optimizer = adamw
            trainerState = parsed.state
        }
        return Checkpoint(directory: directory, model: model, optimizer: optimizer, trainerState: trainerState,
                          manifestHash: manifestHash)
    }

    private static func readParameters(_ file: SafetensorsFile, into model: GPT2, headFromFile: Bool) throws(CheckpointError) {
        var used = Set<String>()
        for tensor in model.layout.tensors {
            if (tensor.kind == .scalarHeadWeight || tensor.kind == .scalarHeadBias) && !headFromFile { continue }
            // transformers' GPT2ForSequenceClassification has a score head without bias: zero, as it computes.
            if tensor.kind == .scalarHeadBias && file.header.entry("score.bias") == nil { continue }
            guard let name = HuggingFaceNames.candidates(tensor).first(where: { file.header.entry($0) != nil }) else {
                throw .missingTensor(path: file.path, name: HuggingFaceNames.name(tensor))
            }
            used.insert(name)
            try readTensor(file, name, tensor, into: model.parameters.pointer + tensor.offset)
        }
        for entry in file.header.entries where !used.contains(entry.name) && !HuggingFaceNames.isIgnorable(entry.name) {
            if entry.name.hasPrefix("score.") { continue }   // a head the caller chose to drop
            throw .unsupported(path: file.path, reason: "unexpected tensor \(entry.name); is this a GPT-2 checkpoint?")
        }
    }

    private static func readTensor(_ file: SafetensorsFile, _ name: String, _ tensor: ParameterTensor,
                                   into destination: UnsafeMutablePointer<Float>) throws(CheckpointError) {
        let entry = try file.entry(name)
        let expected = HuggingFaceNames.shape(tensor)
        guard entry.shape == expected else {
            throw .tensorMismatch(path: file.path, name: name, reason: "has shape \(entry.shape), config.json implies \(expected)")
        }
        try file.readFloats(entry, into: destination)
    }

    /// Writes the folder and returns the manifest's sha256. Files go to a temporary sibling folder that is
    /// renamed into place at the end, so a crash never leaves a half-written checkpoint under `directory`.
    @discardableResult
    public static func save(model: GPT2, optimizer: AdamW? = nil, trainerState: TrainerState? = nil,
                            to directory: String, extraFiles: [String: [UInt8]] = [:],
                            overwrite: Bool = false) throws(CheckpointError) -> String {
        let fm = FileManager.default
        if fm.fileExists(atPath: directory) && !overwrite { throw .destinationExists(path: directory) }
        let staging = directory + ".partial-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        do { try fm.createDirectory(atPath: staging, withIntermediateDirectories: true) } catch {
            throw .writeFailed(path: staging, reason: error.localizedDescription)
        }
        do {
            var files: [String: FileDigest] = [:]
            files[configFileName] = try writeWholeFile(Array(ConfigFile.json(model.config, scalarHead: model.hasScalarHead).utf8),
                                                       to: staging + "/" + configFileName)
            files[modelFileName] = try writeTensors(model.parameters, layout: model.layout, prefix: "",
                                                    to: staging + "/" + modelFileName)
            if let trainerState {
                guard let optimizer else {
                    throw CheckpointError.invalidTrainerState(path: directory, reason: "a trainer state needs the optimizer saved with it")
                }
                files[TrainerState.fileName] = try writeWholeFile(trainerState.json(optimizer: optimizer),
                                                                  to: staging + "/" + TrainerState.fileName)
                files[TrainerState.momentsFileName] = try writeMoments(optimizer, to: staging + "/" + TrainerState.momentsFileName)
            }
            for (name, bytes) in extraFiles {
                guard !name.contains("/"), files[name] == nil, name != Manifest.fileName else {
                    throw CheckpointError.writeFailed(path: directory + "/" + name, reason: "invalid or duplicate extra file name")
                }
                files[name] = try writeWholeFile(bytes, to: staging + "/" + name)
            }
            let manifestBytes = Manifest(files: files).json()
            _ = try writeWholeFile(manifestBytes, to: staging + "/" + Manifest.fileName)
            try moveIntoPlace(staging, directory)
            return SHA256.hex(bytes: manifestBytes)
        } catch let error as CheckpointError {
            try? fm.removeItem(atPath: staging)
            throw error
        } catch {
            try? fm.removeItem(atPath: staging)
            throw .writeFailed(path: directory, reason: "\(error)")
        }
    }

    private static func writeTensors(_ buffer: FloatBuffer, layout: ParameterLayout, prefix: String,
                                     to path: String) throws(CheckpointError) -> FileDigest {
        // A zero scalar-head bias is left out, so the file is exactly what transformers'
        // GPT2ForSequenceClassification holds (its score layer has no bias); loading reads it as 0.
        let written = layout.tensors.filter { $0.kind != .scalarHeadBias || buffer[$0.offset] != 0 }
        let tensors = written.map { tensor in
            SafetensorsWriter.Tensor(name: prefix + HuggingFaceNames.name(tensor), shape: HuggingFaceNames.shape(tensor),
                                     floats: UnsafeBufferPointer(buffer.view(tensor.offset, tensor.count)))
        }
        return try SafetensorsWriter.write(tensors, to: path)
    }

    private static func writeMoments(_ optimizer: AdamW, to path: String) throws(CheckpointError) -> FileDigest {
        var tensors: [SafetensorsWriter.Tensor] = []
        for (prefix, buffer) in [("exp_avg.", optimizer.m), ("exp_avg_sq.", optimizer.v)] {
            for tensor in optimizer.layout.tensors {
                tensors.append(SafetensorsWriter.Tensor(name: prefix + HuggingFaceNames.name(tensor),
                                                        shape: HuggingFaceNames.shape(tensor),
                                                        floats: UnsafeBufferPointer(buffer.view(tensor.offset, tensor.count))))
            }
        }
        return try SafetensorsWriter.write(tensors, metadata: ["format": "rlhf-adamw-moments"], to: path)
    }

    private static func moveIntoPlace(_ staging: String, _ directory: String) throws(CheckpointError) {
        let fm = FileManager.default
        var old: String? = nil
        if fm.fileExists(atPath: directory) {
            old = directory + ".old-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            if rename(directory, old!) != 0 { throw .writeFailed(path: directory, reason: String(cString: strerror(errno))) }
        }
        if rename(staging, directory) != 0 { throw .writeFailed(path: directory, reason: String(cString: strerror(errno))) }
        if let old { try? fm.removeItem(atPath: old) }
    }
}
