// swift-tools-version:6.0
// rlhf: an RLHF workbench. No third-party Swift packages; system C libraries come through
// system-library targets (SQLite, OpenBLAS, zlib).
import Foundation
import PackageDescription

// Release builds are the product: whole-module optimisation is SwiftPM's release default; the numeric
// targets additionally drop bounds checks (measured in STYLE.md: scalar loops 3.8 -> 4.6 GB/s).
let numericsFlags: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked"], .when(configuration: .release)),
]

// The model's kernels are compiled for AVX2 + FMA (Haswell, 2013; every x86-64 server and CI runner
// since) on x86-64, as llm.c builds with -march=native: the decoding kernels are fused multiply-add
// microkernels, and without FMA in the target Swift lowers each `addProduct` to a libm call per lane.
// A build machine whose /proc/cpuinfo lacks them gets a baseline x86-64 build by itself, and so does
// RLHF_PORTABLE=1 at build time (slower, same results within float rounding); `rlhf` checks the CPU at
// start and says what to do if a binary built here is carried to an older one.
#if arch(x86_64)
let cpuInfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
let hostFlags = Set((cpuInfo.split(separator: "\n").first { $0.hasPrefix("flags") } ?? "").split(separator: " ").map(String.init))
let hostLacksAVX2 = !cpuInfo.isEmpty && !(hostFlags.contains("avx2") && hostFlags.contains("fma"))
let buildsForHaswell = Context.environment["RLHF_PORTABLE"] != "1" && !hostLacksAVX2
#else
let buildsForHaswell = false
#endif
let haswellDefine: [SwiftSetting] = buildsForHaswell ? [.define("RLHF_HASWELL")] : []
let modelCPU: [SwiftSetting] = buildsForHaswell ? [.unsafeFlags(["-target-cpu", "haswell"])] + haswellDefine : []
// One kernel (RLHFKernelsAVX512) is also built for AVX-512 and called only where the CPU has it.
let avx512CPU: [SwiftSetting] = buildsForHaswell ? [.unsafeFlags(["-target-cpu", "skylake-avx512"]), .define("RLHF_AVX512")] : []

let package = Package(
    name: "rlhf",
    platforms: [.macOS(.v15)],   // Synchronization.Atomic (Parallel's worker pool)
    products: [
        .executable(name: "rlhf", targets: ["rlhf"]),
    ],
    targets: [
        // System libraries.
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3",
                       providers: [.apt(["libsqlite3-dev"]), .brew(["sqlite"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"]), .brew(["openblas"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),

        // Libraries, one job each (see ../shared/STYLE.md for the graph).
        .target(name: "RLHFCore"),                                    // SHA-256, strict JSON, seeded RNG
        .target(name: "RLHFData", dependencies: ["RLHFCore", "CZlib"]), // records, JSONL, TRL/HH formats
        .target(name: "RLHFStore", dependencies: ["CSQLite", "RLHFCore", "RLHFData"]),
        .target(name: "RLHFTokenizer", dependencies: ["RLHFCore"], swiftSettings: numericsFlags),
        // The compiler's prefetch and spin-pause instructions, which Swift does not expose (header only).
        .systemLibrary(name: "CPrefetch", path: "Sources/CPrefetch"),
        .target(name: "RLHFKernelsAVX512", dependencies: ["CPrefetch"], swiftSettings: numericsFlags + avx512CPU),
        .target(name: "RLHFModel", dependencies: ["COpenBLAS", "CPrefetch", "RLHFCore", "RLHFKernelsAVX512"],
                swiftSettings: numericsFlags + modelCPU),
        .target(name: "RLHFTrain", dependencies: ["RLHFModel", "RLHFTokenizer", "RLHFData"],
                swiftSettings: numericsFlags),
        .target(name: "RLHFLabel", dependencies: ["RLHFCore", "RLHFStore", "RLHFData"]),
        .target(name: "RLHFCommands", dependencies: [
            "RLHFCore", "RLHFData", "RLHFStore", "RLHFTokenizer", "RLHFModel", "RLHFTrain", "RLHFLabel",
        ]),
        .executableTarget(name: "rlhf", dependencies: ["RLHFCore", "RLHFCommands"], swiftSettings: haswellDefine),

        // Tests: one target per library, shared helpers in one support target, end-to-end in Commands.
        .target(name: "RLHFTestSupport", dependencies: ["RLHFCore", "RLHFData", "RLHFStore", "RLHFModel"], path: "Tests/RLHFTestSupport"),
        .testTarget(name: "RLHFCoreTests", dependencies: ["RLHFCore", "RLHFTestSupport"]),
        .testTarget(name: "RLHFDataTests", dependencies: ["RLHFData", "RLHFTestSupport"]),
        .testTarget(name: "RLHFStoreTests", dependencies: ["RLHFStore", "RLHFData", "RLHFTestSupport"]),
        .testTarget(name: "RLHFTokenizerTests", dependencies: ["RLHFTokenizer", "RLHFTestSupport"]),
        .testTarget(name: "RLHFModelTests", dependencies: ["RLHFModel", "RLHFTestSupport"]),
        .testTarget(name: "RLHFTrainTests", dependencies: ["RLHFTrain", "RLHFTokenizer", "RLHFTestSupport"]),
        .testTarget(name: "RLHFLabelTests", dependencies: ["RLHFLabel", "RLHFStore", "RLHFData", "RLHFTestSupport"]),
        // Depends on the executable so end-to-end tests can run the built binary (concurrent processes).
        .testTarget(name: "RLHFCommandsTests", dependencies: ["RLHFCommands", "RLHFStore", "RLHFModel", "RLHFTrain", "RLHFTestSupport", "rlhf"]),
    ]
)
