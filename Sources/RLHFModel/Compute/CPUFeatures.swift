import Foundation
import RLHFCore
import RLHFKernelsAVX512

/// What the CPU offers beyond the build's baseline, read once.
enum CPUFeatures {
    /// The instruction-set flags the operating system reports (RLHFCore.CPUFlags).
    static var flags: Set<String> { CPUFlags.current }

    /// The AVX-512 decoding kernel may run: it is in this build, the CPU (and the kernel, which lists
    /// the flag only when it saves the registers) has AVX-512F, and RLHF_NO_AVX512 is not set.
    static let avx512: Bool = {
        guard AVX512Kernels.compiled, ProcessInfo.processInfo.environment["RLHF_NO_AVX512"] == nil else { return false }
        return flags.contains("avx512f")
    }()
}
