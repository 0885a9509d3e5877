import Foundation
import RLHFKernelsAVX512

/// What the CPU offers beyond the build's baseline, read once.
enum CPUFeatures {
    /// The instruction-set flags the kernel reports (Linux /proc/cpuinfo); empty elsewhere.
    static let flags: Set<String> = {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return [] }
        for line in text.split(separator: "\n") where line.hasPrefix("flags") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
        }
        return []
    }()

    /// The AVX-512 decoding kernel may run: it is in this build, the CPU (and the kernel, which lists
    /// the flag only when it saves the registers) has AVX-512F, and RLHF_NO_AVX512 is not set.
    static let avx512: Bool = {
        guard AVX512Kernels.compiled, ProcessInfo.processInfo.environment["RLHF_NO_AVX512"] == nil else { return false }
        #if os(macOS)
        var value: Int32 = 0
        var size = MemoryLayout<Int32>.size
        return sysctlbyname("hw.optional.avx512f", &value, &size, nil, 0) == 0 && value != 0
        #else
        return flags.contains("avx512f")
        #endif
    }()
}
