import Foundation
import RLHFCore
import RLHFStore

/// A store in a fresh temporary folder.
public final class TemporaryStore {
    public let directory = TemporaryDirectory("rlhf-store")
    public let store: Store
    public var path: String { store.path }

    public init() throws {
        store = try Store(path: directory.file("test.sqlite"), mode: .createIfMissing)
    }

    /// Writes `text` to a file named `name` in the store's folder and returns its path.
    @discardableResult
    public func write(_ text: String, to name: String) throws -> String {
        let path = directory.file(name)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    public func write(bytes: [UInt8], to name: String) throws -> String {
        let path = directory.file(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }
}

extension Store {
    /// Every row of every table, as text, hashed: two equal fingerprints mean the store holds the same
    /// data. For "a failed import leaves the store as it was".
    public func fingerprint() throws -> String {
        var hasher = SHA256()
        var tables: [String] = []
        try forEachRow("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name") {
            tables.append($0.text(0))
        }
        for table in tables {
            var columns: [String] = []
            try forEachRow("SELECT name FROM pragma_table_info(?)", [.text(table)]) { columns.append($0.text(0)) }
            let list = columns.map { "quote(\"\($0)\")" }.joined(separator: " || '|' || ")
            hasher.update("table \(table)\n")
            try forEachRow("SELECT \(list) FROM \"\(table)\" ORDER BY 1") { hasher.update($0.text(0) + "\n") }
        }
        return Hex.encode(hasher.finalize())
    }

    public func count(_ sql: String) throws -> Int {
        Int(try db.scalarInt(sql) ?? -1)
    }
}
