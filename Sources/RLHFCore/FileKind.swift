import Foundation

/// What a path names, through symbolic links (a Hugging Face cache links to its blobs). Import picks
/// its journal by a file's size; export writes a device or pipe as it is instead of renaming a file
/// over it.
public enum FileKind: Equatable, Sendable {
    case regular(size: Int)
    /// A device, pipe, socket or folder.
    case other
    /// Nothing there, or nothing this process may look at.
    case missing

    public static func of(_ path: String) -> FileKind {
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: resolved) else { return .missing }
        guard attributes[.type] as? FileAttributeType == .typeRegular else { return .other }
        return .regular(size: (attributes[.size] as? NSNumber)?.intValue ?? 0)
    }
}
