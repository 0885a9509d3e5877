import Foundation
import RLHFCommands

exit(RLHF.main(Array(CommandLine.arguments.dropFirst()), context: .process()))
