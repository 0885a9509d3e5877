import Foundation
import RLHFCore

/// One subcommand: a type in its own file with its name, abstract, usage, parsing, validation and run.
public protocol Command {
    /// Words after `rlhf`, e.g. "init" or "import prompts" or "tokenizer train".
    static var name: String { get }
    /// One line for the command list.
    static var abstract: String { get }
    /// Usage line(s) after "usage: ", e.g. "rlhf init [--store PATH]".
    static var usage: String { get }
    /// More help printed under the options; may be empty.
    static var discussion: String { get }
    static var options: [OptionSpec] { get }
    /// How many positional arguments the command takes.
    static var positionals: ClosedRange<Int> { get }

    /// Parses and validates; throws `UsageError` for anything wrong with the arguments.
    init(_ arguments: ParsedArguments, context: CommandContext) throws
    func run(_ context: CommandContext) throws
}

public extension Command {
    static var discussion: String { "" }
    static var positionals: ClosedRange<Int> { 0...0 }
}

/// Wrong arguments: exit code 2.
public struct UsageError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A failure a user can act on, for commands that have no more specific error type: exit code 1.
public struct CommandFailure: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// What a command runs against: injectable streams and environment, so tests run commands in-process.
public final class CommandContext {
    public let stdout: ByteSink
    public let stderr: ByteSink
    public let stdin: ByteSource
    public let environment: [String: String]
    public let currentDirectory: String
    public let stdinIsTerminal: Bool
    public let stdoutIsTerminal: Bool
    public let stderrIsTerminal: Bool

    public init(stdout: ByteSink, stderr: ByteSink, stdin: ByteSource, environment: [String: String],
                currentDirectory: String, stdinIsTerminal: Bool = false, stdoutIsTerminal: Bool = false,
                stderrIsTerminal: Bool = false) {
        self.stdout = stdout
        self.stderr = stderr
        self.stdin = stdin
        self.environment = environment
        self.currentDirectory = currentDirectory
        self.stdinIsTerminal = stdinIsTerminal
        self.stdoutIsTerminal = stdoutIsTerminal
        self.stderrIsTerminal = stderrIsTerminal
    }

    /// The real process streams.
    public static func process() -> CommandContext {
        CommandContext(
            stdout: FileDescriptorSink(descriptor: 1, name: "stdout"),
            stderr: FileDescriptorSink(descriptor: 2, name: "stderr", flushEachWrite: true),
            stdin: FileDescriptorSource(descriptor: 0, name: "stdin"),
            environment: ProcessInfo.processInfo.environment,
            currentDirectory: FileManager.default.currentDirectoryPath,
            stdinIsTerminal: isatty(0) == 1, stdoutIsTerminal: isatty(1) == 1, stderrIsTerminal: isatty(2) == 1)
    }

    /// A message for the user (progress, summaries, warnings): always stderr.
    public func say(_ message: String) { stderr.print(message) }

    /// A path as the user typed it, resolved against the working directory.
    public func resolve(_ path: String) -> String {
        if path.hasPrefix("/") || path == "-" { return path }
        return (currentDirectory as NSString).appendingPathComponent(path)
    }
}
