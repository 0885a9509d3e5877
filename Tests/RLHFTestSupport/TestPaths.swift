import Foundation

/// Where tests find the repository and the shared data (`../shared` beside the checkout; override with
/// `RLHF_SHARED`). Tests that need shared data call `TestPaths.shared(...)`, which fails loudly with the
/// path it looked at when the data is not there.
public enum TestPaths {
    /// The repository root, found from this file's own path.
    public static let repoRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `$RLHF_SHARED`, else the nearest `shared` folder beside the checkout or one of its parents, else
    /// `/work/shared` (where the machine image keeps it, for clones made elsewhere).
    public static let sharedRoot: URL = {
        if let env = ProcessInfo.processInfo.environment["RLHF_SHARED"], !env.isEmpty {
            return URL(fileURLWithPath: env)
        }
        var folder = repoRoot
        while folder.path != "/" {
            let candidate = folder.deletingLastPathComponent().appendingPathComponent("shared")
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("datasets").path) { return candidate }
            folder = folder.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: "/work/shared")
    }()

    /// A file under the shared folder, e.g. `shared("datasets/hh-rlhf/harmless-base-test.jsonl.gz")`.
    public static func shared(_ relative: String) -> URL {
        sharedRoot.appendingPathComponent(relative)
    }

    public static func repo(_ relative: String) -> URL {
        repoRoot.appendingPathComponent(relative)
    }

    /// A product built beside the test bundle (the `rlhf` binary), for tests that run real processes.
    public static func builtProduct(_ name: String) -> URL? {
        var candidates: [URL] = []
        if let executable = Bundle.main.executableURL { candidates.append(executable.deletingLastPathComponent()) }
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
        candidates.append(repoRoot.appendingPathComponent(".build/release"))
        for folder in candidates {
            var dir = folder
            for _ in 0..<4 {
                let url = dir.appendingPathComponent(name)
                if FileManager.default.isExecutableFile(atPath: url.path) { return url }
                dir = dir.deletingLastPathComponent()
            }
        }
        return nil
    }
}

/// A fresh temporary directory, removed when the value is released.
public final class TemporaryDirectory: @unchecked Sendable {
    public let url: URL
    public var path: String { url.path }

    public init(_ label: String = "rlhf-test") {
        let base = URL(fileURLWithPath: NSTemporaryDirectory())
        url = base.appendingPathComponent("\(label)-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    public func file(_ name: String) -> String { url.appendingPathComponent(name).path }

    deinit { try? FileManager.default.removeItem(at: url) }
}
