/// A weight matrix repacked for the decoding kernels (DecodeKernels.swift): outputs in panels of 16,
/// each panel stored input by input, `[panel][input][16]`, the last panel padded with zeros. A kernel
/// then streams one panel front to back (one 64-byte line per input) and keeps its 16 outputs in two
/// 8-wide registers per row.
struct PackedMatrix {
    static let width = 16
    let pointer: UnsafePointer<Float>
    /// Inputs (the reduction length) and outputs.
    let IC: Int
    let OC: Int

    var panels: Int { PackedMatrix.panels(OC) }
    static func panels(_ OC: Int) -> Int { (OC + width - 1) / width }
    /// Floats a packed (IC, OC) matrix takes.
    static func count(IC: Int, OC: Int) -> Int { panels(OC) * width * IC }

    /// Panel p's 16 floats for input 0; input k's are `16 * k` further.
    @inline(__always)
    func panel(_ p: Int) -> UnsafePointer<Float> { pointer + p * PackedMatrix.width * IC }

    /// Packs a Conv1D weight, input-major (IC, OC), into `destination`.
    static func pack(inputMajor source: UnsafePointer<Float>, IC: Int, OC: Int, into destination: UnsafeMutablePointer<Float>) {
        Parallel.forRanges(panels(OC), minimum: 8) { range in
            for p in range {
                let panel = destination + p * width * IC, j0 = p * width, columns = min(width, OC - j0)
                for k in 0..<IC {
                    let row = panel + k * width
                    row.update(from: source + k * OC + j0, count: columns)
                    if columns < width { (row + columns).update(repeating: 0, count: width - columns) }
                }
            }
        }
    }

    /// Packs an output-major (OC, IC) matrix (the tied LM head, `wte`) into `destination`.
    static func pack(outputMajor source: UnsafePointer<Float>, IC: Int, OC: Int, into destination: UnsafeMutablePointer<Float>) {
        Parallel.forRanges(panels(OC), minimum: 8) { range in
            for p in range {
                let panel = destination + p * width * IC
                for c in 0..<width {
                    let j = p * width + c
                    if j < OC {
                        let row = source + j * IC
                        for k in 0..<IC { panel[k * width + c] = row[k] }
                    } else {
                        for k in 0..<IC { panel[k * width + c] = 0 }
                    }
                }
            }
        }
    }
}
