import Foundation
import RLHFCore
import RLHFTestSupport
import XCTest
@testable import RLHFModel

extension Array where Element == [Float] {
    /// Pointers to every inner array's storage, valid inside `body`.
    func withUnsafeBufferPointers<R>(_ body: ([UnsafeBufferPointer<Float>]) throws -> R) rethrows -> R {
        func go(_ i: Int, _ acc: [UnsafeBufferPointer<Float>]) throws -> R {
            if i == count { return try body(acc) }
            return try self[i].withUnsafeBufferPointer { try go(i + 1, acc + [$0]) }
        }
        return try go(0, [])
    }
}

/// `rlhf model import` on Hugging Face folders the tests write themselves: each variant a real file
/// may come in, and each refusal with its reason.
final class HuggingFaceImportTests: XCTestCase {
    /// n_inner 50 (not 4C) so a config that dropped it would fail on the MLP shapes.
    let config = GPT2Config(vocabSize: 67, contextLength: 16, layers: 2, heads: 3, channels: 36, innerSize: 50)

    enum Precision { case f32, f16, bf16 }

    /// Writes a folder as transformers would: config.json (with `overrides`), model.safetensors.
    func writeFolder(_ directory: String, model: GPT2, precision: Precision, prefix: Bool, buffers: Bool,
                     lmHead: [Float]? = nil, innerNull: Bool = false, overrides: [String: JSONValue] = [:]) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var object = try JSONParser.parse(Array(ConfigFile.json(model.config, scalarHead: false).utf8)).objectValue!
        if innerNull { object["n_inner"] = .null }
        for (key, value) in overrides { object[key] = value }
        try Data(JSONWriter.encode(.object(object)).utf8).write(to: URL(fileURLWithPath: directory + "/config.json"))

        var blobs: [(name: String, dtype: SafetensorsDType, shape: [Int], bytes: [UInt8])] = []
        func add(_ name: String, _ shape: [Int], _ values: [Float]) {
            switch precision {
            case .f32: blobs.append((name, .f32, shape, values.flatMap { bytes(UInt32($0.bitPattern), 4) }))
            case .f16: blobs.append((name, .f16, shape, values.flatMap { bytes(UInt32(Float16($0).bitPattern), 2) }))
            case .bf16: blobs.append((name, .bf16, shape, values.flatMap { bytes(UInt32(bfloat16Bits($0)), 2) }))
            }
        }
        for tensor in model.layout.tensors {
            var name = HuggingFaceNames.name(tensor)
            if !prefix { name = String(name.dropFirst("transformer.".count)) }
            add(name, HuggingFaceNames.shape(tensor), Array(model.view(tensor)))
        }
        if buffers {
            let T = model.config.contextLength
            for l in 0..<model.config.layers {
                let p = prefix ? "transformer.h.\(l)." : "h.\(l)."
                blobs.append((p + "attn.bias", .u8, [1, 1, T, T], (0..<(T * T)).map { UInt8($0 % T <= $0 / T ? 1 : 0) }))
                blobs.append((p + "attn.masked_bias", .f32, [], bytes(UInt32(Float(-1e4).bitPattern), 4)))
            }
        }
        if let lmHead { add("lm_head.weight", [model.config.vocabSize, model.config.channels], lmHead) }
        let pointers = blobs.map { blob -> UnsafeMutableRawBufferPointer in
            let p = UnsafeMutableRawBufferPointer.allocate(byteCount: blob.bytes.count, alignment: 8)
            p.copyBytes(from: blob.bytes)
            return p
        }
        defer { pointers.forEach { $0.deallocate() } }
        let tensors = zip(blobs, pointers).map { blob, p in
            SafetensorsWriter.Tensor(name: blob.name, dtype: blob.dtype, shape: blob.shape, bytes: UnsafeRawBufferPointer(p))
        }
        try SafetensorsWriter.write(tensors, to: directory + "/model.safetensors")
    }

    func bytes(_ value: UInt32, _ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }

    /// Round to nearest even, as torch's float -> bfloat16.
    func bfloat16Bits(_ x: Float) -> UInt16 {
        let bits = x.bitPattern
        return UInt16((bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16)
    }

    func expectParameters(_ out: String, equal expected: [Float], _ message: String) throws {
        let loaded = try Checkpoint.load(from: out)
        XCTAssertNotNil(loaded.manifestHash, "\(message): no manifest written")
        XCTAssertEqual(loaded.model.config, config, message)
        let actual = loaded.model.parameters.array
        XCTAssertEqual(actual.count, expected.count, message)
        let differing = zip(actual, expected).filter { $0 != $1 }.count
        XCTAssertEqual(differing, 0, "\(message): \(differing) parameters differ from the source")
    }

    func testEveryVariantImportsToTheSameNumbers() throws {
        let model = try Fixtures.model(config, scalarHead: false, seed: 8)
        let source = model.parameters.array
        let dir = TemporaryDirectory("hf-import")
        let cases: [(String, Precision, Bool, Bool, Bool)] = [
            ("f32, transformer. prefix, buffers, tied lm_head", .f32, true, true, true),
            ("f16, no prefix", .f16, false, false, false),
            ("bf16, prefix, buffers", .bf16, true, true, false),
        ]
        for (label, precision, prefix, buffers, head) in cases {
            let input = dir.file(label + "-in"), out = dir.file(label + "-out")
            let wte = Array(model.view(model.layout.tensor(.tokenEmbedding)!))
            try writeFolder(input, model: model, precision: precision, prefix: prefix, buffers: buffers,
                            lmHead: head ? wte : nil)
            let summary = try HuggingFaceImport.run(from: input, to: out)
            let expected: [Float]
            switch precision {
            case .f32: expected = source
            case .f16: expected = source.map { Float(Float16($0)) }
            case .bf16: expected = source.map { Float(bitPattern: UInt32(bfloat16Bits($0)) << 16) }
            }
            if precision != .f32 { XCTAssertNotEqual(expected, source, "\(label): rounding changed nothing") }
            try expectParameters(out, equal: expected, label)
            XCTAssertEqual(summary.sourceDTypes, [precision == .f32 ? "F32" : precision == .f16 ? "F16" : "BF16"], label)
            // The written config keeps n_inner; model.safetensors is float32 under the prefixed names.
            let written = try SafetensorsFile(path: out + "/model.safetensors")
            XCTAssertEqual(Set(written.header.entries.map(\.dtype)), [.f32], label)
            XCTAssertNotNil(written.header.entry("transformer.h.1.mlp.c_fc.weight"), label)
            XCTAssertNil(written.header.entry("transformer.h.0.attn.bias"), label)
        }
    }

    func testNInnerNullMeansFourTimesTheWidthAndTokenizerFilesAreCopied() throws {
        let square = GPT2Config(vocabSize: 67, contextLength: 16, layers: 1, heads: 2, channels: 16)
        let model = try Fixtures.model(square, scalarHead: false, seed: 9)
        let dir = TemporaryDirectory("hf-import")
        try writeFolder(dir.file("in"), model: model, precision: .f32, prefix: true, buffers: false, innerNull: true)
        try Data("{\"version\": \"1.0\"}".utf8).write(to: URL(fileURLWithPath: dir.file("in/tokenizer.json")))
        try Data("#version: 0.2\n".utf8).write(to: URL(fileURLWithPath: dir.file("in/merges.txt")))
        let summary = try HuggingFaceImport.run(from: dir.file("in"), to: dir.file("out"))
        XCTAssertEqual(summary.config.innerSize, 64)
        XCTAssertEqual(summary.tokenizerFiles, ["merges.txt", "tokenizer.json"])
        XCTAssertEqual(try String(contentsOfFile: dir.file("out/tokenizer.json"), encoding: .utf8), "{\"version\": \"1.0\"}")
        XCTAssertEqual(try Checkpoint.load(from: dir.file("out")).model.parameters.array, model.parameters.array)
    }

    /// transformers' GPT2ForSequenceClassification stores score.weight [1, C] and no bias.
    func testASequenceClassificationFolderImportsWithAZeroBias() throws {
        let model = try Fixtures.model(config, scalarHead: true, seed: 10)
        let dir = TemporaryDirectory("hf-import")
        let withoutBias = try GPT2(config: config, scalarHead: false)
        withoutBias.parameters.pointer.update(from: model.parameters.pointer, count: withoutBias.layout.count)
        try writeFolder(dir.file("in"), model: withoutBias, precision: .f32, prefix: true, buffers: false,
                        overrides: ["architectures": .array([.string("GPT2ForSequenceClassification")]), "num_labels": .int(1)])
        // Add score.weight (no score.bias) to the file.
        let file = try SafetensorsFile(path: dir.file("in/model.safetensors"))
        var tensors: [(String, [Int], [Float])] = try file.header.entries.map { ($0.name, $0.shape, try file.readFloats($0.name)) }
        tensors.append(("score.weight", [1, config.channels], Array(model.view(model.layout.tensor(.scalarHeadWeight)!))))
        let buffers = tensors.map { $0.2 }
        try buffers.withUnsafeBufferPointers { pointers in
            try SafetensorsWriter.write(zip(tensors, pointers).map { SafetensorsWriter.Tensor(name: $0.0.0, shape: $0.0.1, floats: $0.1) },
                                        to: dir.file("in/model.safetensors"))
        }
        _ = try HuggingFaceImport.run(from: dir.file("in"), to: dir.file("out"))
        let loaded = try Checkpoint.load(from: dir.file("out")).model
        XCTAssertTrue(loaded.hasScalarHead)
        XCTAssertEqual(Array(loaded.view(loaded.layout.tensor(.scalarHeadWeight)!)), Array(model.view(model.layout.tensor(.scalarHeadWeight)!)))
        XCTAssertEqual(Array(loaded.view(loaded.layout.tensor(.scalarHeadBias)!)), [0])
        XCTAssertEqual(Array(loaded.view(loaded.layout.tensor(.qkvWeight, layer: 1)!)), Array(model.view(model.layout.tensor(.qkvWeight, layer: 1)!)))
    }

    func testRefusalsNameTheirReason() throws {
        let model = try Fixtures.model(config, scalarHead: false, seed: 8)
        let dir = TemporaryDirectory("hf-import")
        func refusal(_ label: String, _ prepare: (String) throws -> Void) throws -> String {
            let input = dir.file(label)
            try prepare(input)
            do {
                _ = try HuggingFaceImport.run(from: input, to: dir.file(label + "-out"))
                XCTFail("\(label) was imported")
                return ""
            } catch {
                XCTAssertFalse(FileManager.default.fileExists(atPath: dir.file(label + "-out")), "\(label) left an output")
                return error.description
            }
        }
        let pickle = try refusal("pickle") { input in
            try FileManager.default.createDirectory(atPath: input, withIntermediateDirectories: true)
            try Data(ConfigFile.json(config, scalarHead: false).utf8).write(to: URL(fileURLWithPath: input + "/config.json"))
            try Data([0x80, 0x02]).write(to: URL(fileURLWithPath: input + "/pytorch_model.bin"))
        }
        XCTAssert(pickle.contains("pytorch_model.bin") && pickle.contains("pickle") && pickle.contains("safetensors"), pickle)
        let cases: [(String, [String: JSONValue], String)] = [
            ("llama", ["model_type": .string("llama")], "model_type \"llama\""),
            ("double heads", ["architectures": .array([.string("GPT2DoubleHeadsModel")])], "GPT2DoubleHeadsModel"),
            ("inverse layer idx", ["scale_attn_by_inverse_layer_idx": .bool(true)], "scale_attn_by_inverse_layer_idx"),
            ("upcast", ["reorder_and_upcast_attn": .bool(true)], "reorder_and_upcast_attn"),
            ("relu", ["activation_function": .string("relu")], "activation_function \"relu\""),
            ("exact gelu", ["activation_function": .string("gelu")], "activation_function \"gelu\""),
        ]
        for (label, overrides, reason) in cases {
            let message = try refusal(label) { input in
                try writeFolder(input, model: model, precision: .f32, prefix: true, buffers: false, overrides: overrides)
            }
            XCTAssert(message.contains(reason), "\(label): \(message)")
        }
        let untied = try refusal("untied") { input in
            try writeFolder(input, model: model, precision: .f32, prefix: true, buffers: false,
                            lmHead: Array(repeating: 0.5, count: config.vocabSize * config.channels))
        }
        XCTAssert(untied.contains("lm_head.weight differs"), untied)
        // An existing output is never overwritten.
        try writeFolder(dir.file("fine"), model: model, precision: .f32, prefix: true, buffers: false)
        try FileManager.default.createDirectory(atPath: dir.file("taken"), withIntermediateDirectories: true)
        XCTAssertThrowsError(try HuggingFaceImport.run(from: dir.file("fine"), to: dir.file("taken"))) { error in
            XCTAssertEqual(error as? CheckpointError, .destinationExists(path: dir.file("taken")))
        }
    }
}
