import Foundation

/// The instruction-set flags the operating system reports for this CPU, in Linux's /proc/cpuinfo names:
/// every flag there on Linux; on macOS the ones our builds ask about (avx2, fma, avx512f) read through
/// sysctl; empty elsewhere. Here in the baseline-compiled core so `rlhf` can read them before any code
/// built for AVX2 runs.
public enum CPUFlags {
    public static let current: Set<String> = {
        #if os(macOS)
        let keys = [("avx2", "hw.optional.avx2_0"), ("fma", "hw.optional.fma"), ("avx512f", "hw.optional.avx512f")]
        return Set(keys.compactMap { flag, key in
            var value: Int32 = 0
            var size = MemoryLayout<Int32>.size
            return sysctlbyname(key, &value, &size, nil, 0) == 0 && value != 0 ? flag : nil
        })
        #else
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return [] }
        for line in text.split(separator: "\n") where line.hasPrefix("flags") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
        }
        return []
        #endif
    }()
}
