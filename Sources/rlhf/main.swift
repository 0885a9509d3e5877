import Foundation
import RLHFCommands

if let message = CPUCheck.message {
    FileHandle.standardError.write(Data(message.utf8))
    exit(1)
}
exit(RLHF.main(Array(CommandLine.arguments.dropFirst()), context: .process()))
