import Foundation
import RLHFCore

/// The model kernels are compiled for AVX2 + FMA on x86-64 (Package.swift). On a CPU without them the
/// first kernel would die of an illegal instruction; say so before any runs, with the way out.
enum CPUCheck {
    static func missingFeatures() -> [String] {
        #if RLHF_HASWELL
        #if os(Linux)
        let flags = CPUFlags.current
        if flags.isEmpty { return [] }
        return ["avx2", "fma"].filter { !flags.contains($0) }
        #elseif os(macOS)
        return [("avx2", "hw.optional.avx2_0"), ("fma", "hw.optional.fma")].compactMap { name, key in
            var value: Int32 = 0
            var size = MemoryLayout<Int32>.size
            return sysctlbyname(key, &value, &size, nil, 0) == 0 && value != 0 ? nil : name
        }
        #else
        return []
        #endif
        #else
        return []
        #endif
    }

    static var message: String? {
        let missing = missingFeatures()
        if missing.isEmpty { return nil }
        return "error: this build of rlhf uses \(missing.joined(separator: " and ")) instructions, which this CPU "
            + "lacks; rebuild it for any x86-64 CPU with `RLHF_PORTABLE=1 swift build -c release`\n"
    }
}
