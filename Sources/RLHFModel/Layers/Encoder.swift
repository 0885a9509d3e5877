/// Token plus learned position embedding (GPT-2's wte + wpe). Positions at or past a sequence's length
/// are never read: their rows are zero and their token ids, whatever the pad id is, are never looked up.
enum Encoder {
    /// out (B, T, C) = wte[tokens[b, t]] + wpe[t] for t < lengths[b], zero after.
    static func forward(out: UnsafeMutablePointer<Float>, tokens: [Int32], lengths: [Int],
                        wte: UnsafePointer<Float>, wpe: UnsafePointer<Float>, B: Int, T: Int, C: Int) {
        Profile.measure("encoder.forward") {
            tokens.withUnsafeBufferPointer { ids in
                Parallel.forRanges(B * T, minimum: max(1, 16_384 / max(C, 1))) { rows in
                    for row in rows {
                        let b = row / T, t = row % T
                        let dst = out + row * C
                        if t < lengths[b] {
                            let tokenRow = wte + Int(ids[row]) * C, positionRow = wpe + t * C
                            var i = 0
                            while i + 8 <= C { store8(dst + i, load8(tokenRow + i) + load8(positionRow + i)); i += 8 }
                            while i < C { dst[i] = tokenRow[i] + positionRow[i]; i += 1 }
                        } else {
                            dst.update(repeating: 0, count: C)
                        }
                    }
                }
            }
        }
    }

    /// dwte, dwpe += the rows of dout (B, T, C) at their token and position. In (b, t) order on one
    /// thread: a token that appears twice must be added in a fixed order, and this is B*T*C adds.
    static func backward(dwte: UnsafeMutablePointer<Float>, dwpe: UnsafeMutablePointer<Float>,
                         dout: UnsafePointer<Float>, tokens: [Int32], lengths: [Int], B: Int, T: Int, C: Int) {
        Profile.measure("encoder.backward") {
            for b in 0..<B {
                for t in 0..<lengths[b] {
                    let row = dout + (b * T + t) * C
                    vectorAdd(dwte + Int(tokens[b * T + t]) * C, row, C)
                    vectorAdd(dwpe + t * C, row, C)
                }
            }
        }
    }
}
