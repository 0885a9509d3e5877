import Foundation

/// The instruction-set flags the operating system reports for this CPU (Linux /proc/cpuinfo; empty
/// elsewhere). Here in the baseline-compiled core so `rlhf` can read them before any code built for
/// AVX2 runs.
public enum CPUFlags {
    public static let current: Set<String> = {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return [] }
        for line in text.split(separator: "\n") where line.hasPrefix("flags") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
        }
        return []
    }()
}
