import Foundation
import RLHFCore

/// The model kernels are compiled for AVX2 + FMA on x86-64 (Package.swift). On a CPU without them the
/// first kernel would die of an illegal instruction; say so before any runs, with the way out.
enum CPUCheck {
    static func missingFeatures() -> [String] {
        #if RLHF_HASWELL
        let flags = CPUFlags.current
        if flags.isEmpty { return [] }   // nothing readable: let it run rather than refuse a good CPU
        return ["avx2", "fma"].filter { !flags.contains($0) }
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
