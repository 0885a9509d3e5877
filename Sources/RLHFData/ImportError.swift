/// A bad line in an input file: `FILE:LINE: what is wrong`. The import it came from is rolled back.
public struct ImportError: Error, CustomStringConvertible, Equatable, Sendable {
    public let file: String
    public let line: Int
    public let message: String

    public init(file: String, line: Int, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String { "\(file):\(line): \(message)" }
}

/// A problem with one record, before the file and line are known.
public struct RecordError: Error, Equatable, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
}
