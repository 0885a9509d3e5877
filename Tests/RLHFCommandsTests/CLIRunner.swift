import Foundation
import RLHFCommands
import RLHFCore
import RLHFTestSupport

/// Runs `rlhf` in-process with captured streams: the exit code and the exact bytes of stdout and stderr.
struct CLIResult {
    let code: Int32
    let stdout: String
    let stderr: String
}

func rlhf(_ arguments: [String], in directory: TemporaryDirectory, environment: [String: String] = [:],
          stdin: String = "") -> CLIResult {
    let out = MemorySink(), err = MemorySink()
    let context = CommandContext(stdout: out, stderr: err, stdin: MemorySource(stdin), environment: environment,
                                 currentDirectory: directory.path)
    let code = RLHF.main(arguments, context: context)
    return CLIResult(code: code, stdout: out.text, stderr: err.text)
}
