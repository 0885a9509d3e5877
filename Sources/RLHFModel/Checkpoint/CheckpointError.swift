/// Why a checkpoint or tensor file could not be read or written; each message names the file.
public enum CheckpointError: Error, Equatable, CustomStringConvertible {
    case missingFile(path: String)
    case unreadable(path: String, reason: String)
    case invalidSafetensors(path: String, reason: String)
    case truncated(path: String, reason: String)
    case manifestMismatch(path: String, reason: String)
    case invalidConfig(path: String, reason: String)
    case missingTensor(path: String, name: String)
    case tensorMismatch(path: String, name: String, reason: String)
    case unsupported(path: String, reason: String)
    case invalidTrainerState(path: String, reason: String)
    case writeFailed(path: String, reason: String)
    case destinationExists(path: String)

    public var description: String {
        switch self {
        case .missingFile(let path):
            return "\(path) does not exist; a model folder needs config.json and model.safetensors"
        case .unreadable(let path, let reason):
            return "cannot read \(path): \(reason)"
        case .invalidSafetensors(let path, let reason):
            return "\(path) is not a valid safetensors file: \(reason)"
        case .truncated(let path, let reason):
            return "\(path) is truncated (\(reason)); copy or save it again"
        case .manifestMismatch(let path, let reason):
            return "\(path) does not match the checkpoint's manifest.json (\(reason)): the file was changed or corrupted after it was saved"
        case .invalidConfig(let path, let reason):
            return "\(path): \(reason)"
        case .missingTensor(let path, let name):
            return "\(path) has no tensor \(name); is it a GPT-2 checkpoint of this shape?"
        case .tensorMismatch(let path, let name, let reason):
            return "\(path): tensor \(name) \(reason)"
        case .unsupported(let path, let reason):
            return "\(path): \(reason)"
        case .invalidTrainerState(let path, let reason):
            return "\(path): \(reason); training cannot resume from it"
        case .writeFailed(let path, let reason):
            return "cannot write \(path): \(reason)"
        case .destinationExists(let path):
            return "\(path) already exists; choose a new folder or remove it first"
        }
    }
}
