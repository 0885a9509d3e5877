/// A weight matrix repacked for the decoding kernels (DecodeKernels.swift): outputs in panels of 16,
/// each panel stored input by input, `[panel][input][16]`, the last panel padded with zeros. A kernel
/// then streams one panel front to back (one 64-byte line per input, half a line in bfloat16) and keeps
/// its 16 outputs in two 8-wide registers per row.
struct PackedMatrix {
    static let width = 16
    /// The panels' floats, or their bfloat16 roundings (`SamplingWeights.bfloat16`: half the bytes to
    /// stream per token; the kernels widen each weight back to a float before multiplying).
    enum Panels {
        case float32(UnsafePointer<Float>)
        case bfloat16(UnsafePointer<BFloat16>)
    }
    let storage: Panels
    /// Inputs (the reduction length) and outputs.
    let IC: Int
    let OC: Int

    init(pointer: UnsafePointer<Float>, IC: Int, OC: Int) {
        storage = .float32(pointer)
        self.IC = IC
        self.OC = OC
    }

    init(bfloat16 pointer: UnsafePointer<BFloat16>, IC: Int, OC: Int) {
        storage = .bfloat16(pointer)
        self.IC = IC
        self.OC = OC
    }

    var panels: Int { PackedMatrix.panels(OC) }
    static func panels(_ OC: Int) -> Int { (OC + width - 1) / width }
    /// Elements a packed (IC, OC) matrix takes.
    static func count(IC: Int, OC: Int) -> Int { panels(OC) * width * IC }

    /// Packs a Conv1D weight, input-major (IC, OC), into `destination`.
    static func pack<E: PanelElement>(inputMajor source: UnsafePointer<Float>, IC: Int, OC: Int, into destination: UnsafeMutablePointer<E>) {
        Parallel.forRanges(panels(OC), minimum: 8) { range in
            for p in range {
                let panel = destination + p * width * IC, j0 = p * width, columns = min(width, OC - j0)
                for k in 0..<IC {
                    let row = panel + k * width, from = source + k * OC + j0
                    if E.self == Float.self, columns == width {
                        // A block copy, as before bfloat16 panels existed (the float32 snapshot's cost).
                        UnsafeMutableRawPointer(row).copyMemory(from: from, byteCount: width * MemoryLayout<Float>.size)
                    } else {
                        for c in 0..<width { row[c] = E(c < columns ? from[c] : 0) }
                    }
                }
            }
        }
    }

    /// Packs an output-major (OC, IC) matrix (the tied LM head, `wte`) into `destination`.
    static func pack<E: PanelElement>(outputMajor source: UnsafePointer<Float>, IC: Int, OC: Int, into destination: UnsafeMutablePointer<E>) {
        Parallel.forRanges(panels(OC), minimum: 8) { range in
            for p in range {
                let panel = destination + p * width * IC
                for c in 0..<width {
                    let j = p * width + c
                    if j < OC {
                        let row = source + j * IC
                        for k in 0..<IC { panel[k * width + c] = E(row[k]) }
                    } else {
                        for k in 0..<IC { panel[k * width + c] = E(0) }
                    }
                }
            }
        }
    }
}
