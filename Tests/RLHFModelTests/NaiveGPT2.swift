import Foundation
@testable import RLHFModel

/// GPT-2's forward pass written as plain double-precision loops straight from the formulas (no BLAS,
/// no SIMD, no shared code with the model): the reference the BLAS path is checked against.
struct NaiveGPT2 {
    let config: GPT2Config
    let parameters: [Double]
    let layout: ParameterLayout

    init(_ model: GPT2) {
        config = model.config
        layout = model.layout
        parameters = model.parameters.array.map(Double.init)
    }

    func tensor(_ kind: ParameterKind, _ layer: Int = 0) -> ArraySlice<Double> {
        let offset = layout.offset(kind, layer: layer)
        let count = layout.tensor(kind, layer: kind.isPerLayer ? layer : nil)!.count
        return parameters[offset..<(offset + count)]
    }

    /// y (n, out) = x (n, in) @ w (in, out) + b
    static func linear(_ x: [[Double]], _ w: ArraySlice<Double>, _ b: ArraySlice<Double>, out: Int) -> [[Double]] {
        let wi = w.startIndex, bi = b.startIndex
        return x.map { row in
            (0..<out).map { j in
                var s = b[bi + j]
                for i in 0..<row.count { s += row[i] * w[wi + i * out + j] }
                return s
            }
        }
    }

    func layerNorm(_ x: [[Double]], _ w: ArraySlice<Double>, _ b: ArraySlice<Double>) -> [[Double]] {
        let eps = Double(config.layerNormEpsilon)
        return x.map { row in
            let mean = row.reduce(0, +) / Double(row.count)
            let variance = row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(row.count)
            let rstd = 1 / (variance + eps).squareRoot()
            return row.indices.map { (row[$0] - mean) * rstd * w[w.startIndex + $0] + b[b.startIndex + $0] }
        }
    }

    static func gelu(_ x: Double) -> Double {
        0.5 * x * (1 + tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)))
    }

    /// Final hidden states of one sequence (its own length only).
    func hidden(_ tokens: [Int]) -> [[Double]] {
        let C = config.channels, NH = config.heads, HS = C / NH, T = tokens.count, I = config.innerSize
        let wte = tensor(.tokenEmbedding), wpe = tensor(.positionEmbedding)
        var x: [[Double]] = (0..<T).map { t in (0..<C).map { wte[wte.startIndex + tokens[t] * C + $0] + wpe[wpe.startIndex + t * C + $0] } }
        for l in 0..<config.layers {
            let h = layerNorm(x, tensor(.ln1Weight, l), tensor(.ln1Bias, l))
            let qkv = NaiveGPT2.linear(h, tensor(.qkvWeight, l), tensor(.qkvBias, l), out: 3 * C)
            var y = [[Double]](repeating: [Double](repeating: 0, count: C), count: T)
            for head in 0..<NH {
                for t in 0..<T {
                    var scores = (0...t).map { s in
                        (0..<HS).reduce(0.0) { $0 + qkv[t][head * HS + $1] * qkv[s][C + head * HS + $1] } / Double(HS).squareRoot()
                    }
                    let m = scores.max()!
                    scores = scores.map { exp($0 - m) }
                    let z = scores.reduce(0, +)
                    for s in 0...t { for d in 0..<HS { y[t][head * HS + d] += scores[s] / z * qkv[s][2 * C + head * HS + d] } }
                }
            }
            let attention = NaiveGPT2.linear(y, tensor(.attentionProjectionWeight, l), tensor(.attentionProjectionBias, l), out: C)
            for t in 0..<T { for c in 0..<C { x[t][c] += attention[t][c] } }
            let h2 = layerNorm(x, tensor(.ln2Weight, l), tensor(.ln2Bias, l))
            let fc = NaiveGPT2.linear(h2, tensor(.fcWeight, l), tensor(.fcBias, l), out: I).map { $0.map(NaiveGPT2.gelu) }
            let mlp = NaiveGPT2.linear(fc, tensor(.fcProjectionWeight, l), tensor(.fcProjectionBias, l), out: C)
            for t in 0..<T { for c in 0..<C { x[t][c] += mlp[t][c] } }
        }
        return layerNorm(x, tensor(.lnfWeight), tensor(.lnfBias))
    }

    /// Log-softmax over the tied head at every position of one sequence: (T, V).
    func logSoftmax(_ hidden: [[Double]]) -> [[Double]] {
        let C = config.channels, V = config.vocabSize
        let wte = tensor(.tokenEmbedding)
        return hidden.map { h in
            let logits = (0..<V).map { v in (0..<C).reduce(0.0) { $0 + h[$1] * wte[wte.startIndex + v * C + $1] } }
            let m = logits.max()!
            let z = log(logits.reduce(0) { $0 + exp($1 - m) }) + m
            return logits.map { $0 - z }
        }
    }

    func scalar(_ h: [Double]) -> Double {
        let w = tensor(.scalarHeadWeight), b = tensor(.scalarHeadBias)
        return (0..<h.count).reduce(b[b.startIndex]) { $0 + h[$1] * w[w.startIndex + $1] }
    }
}

extension NaiveGPT2 {
    /// Causal attention of one layer over a (B, T, 3C) qkv, in double loops: (B, T, C), zero past lengths.
    static func attention(_ qkv: [Double], lengths: [Int], B: Int, T: Int, C: Int, NH: Int) -> [Double] {
        let HS = C / NH
        var out = [Double](repeating: 0, count: B * T * C)
        for b in 0..<B {
            for h in 0..<NH {
                for t in 0..<lengths[b] {
                    let q = (b * T + t) * 3 * C + h * HS
                    var scores = (0...t).map { s in
                        (0..<HS).reduce(0.0) { $0 + qkv[q + $1] * qkv[(b * T + s) * 3 * C + C + h * HS + $1] } / Double(HS).squareRoot()
                    }
                    let m = scores.max()!
                    scores = scores.map { exp($0 - m) }
                    let z = scores.reduce(0, +)
                    for s in 0...t {
                        for d in 0..<HS { out[(b * T + t) * C + h * HS + d] += scores[s] / z * qkv[(b * T + s) * 3 * C + 2 * C + h * HS + d] }
                    }
                }
            }
        }
        return out
    }
}
