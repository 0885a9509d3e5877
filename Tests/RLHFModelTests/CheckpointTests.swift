import Foundation
import Testing
import RLHFCore
import RLHFTestSupport
@testable import RLHFModel

@Suite struct CheckpointTests {
    /// A trained model, its optimizer after two steps and a trainer state.
    static func trained() throws -> (GPT2, AdamW, TrainerState) {
        let model = try Fixtures.model(scalarHead: true)
        let optimizer = AdamW(config: AdamWConfig(weightDecay: 0.05, decayAllTensors: true), layout: model.layout)
        for seed: UInt64 in [60, 61] {
            let batch = Fixtures.batch(seed: seed)
            try model.accumulateCrossEntropy([.nextToken(batch)])
            optimizer.update(parameters: model.parameters, gradients: model.gradients!, learningRate: 1e-3)
        }
        var random = SeededRandom(seed: 0xFFFF_FFFF_FFFF_FFF1)
        _ = random.next()
        let state = TrainerState(step: 2, dataPosition: 37, random: random,
                                 metadata: JSONObject([("examples_sha256", .string("abc")), ("epoch", .int(1))]))
        return (model, optimizer, state)
    }

    @Test func saveAndLoadAreBitIdentical() throws {
        let (model, optimizer, state) = try Self.trained()
        let directory = TemporaryDirectory()
        let path = directory.file("checkpoint")
        let hash = try Checkpoint.save(model: model, optimizer: optimizer, trainerState: state, to: path,
                                       extraFiles: ["tokenizer.json": Array("{}".utf8)])
        let loaded = try Checkpoint.load(from: path)
        #expect(loaded.manifestHash == hash)
        #expect(loaded.model.config == model.config)
        #expect(loaded.model.hasScalarHead)
        #expect(loaded.model.parameters.array == model.parameters.array, "parameters differ after a round trip")
        let restored = try #require(loaded.optimizer)
        #expect(restored.m.array == optimizer.m.array && restored.v.array == optimizer.v.array, "moments differ")
        #expect(restored.step == optimizer.step && restored.config == optimizer.config)
        #expect(loaded.trainerState == state)
        // Training continues identically from the loaded copy.
        let batch = Fixtures.batch(seed: 62)
        for (m, o) in [(model, optimizer), (loaded.model, restored)] {
            try m.accumulateCrossEntropy([.nextToken(batch)])
            o.update(parameters: m.parameters, gradients: m.gradients!, learningRate: 1e-3)
        }
        #expect(loaded.model.parameters.array == model.parameters.array, "a resumed step differs")
        // Saving onto an existing folder needs overwrite.
        #expect(throws: CheckpointError.destinationExists(path: path)) {
            try Checkpoint.save(model: model, to: path)
        }
        try Checkpoint.save(model: model, to: path, overwrite: true)
        #expect(try Checkpoint.load(from: path).trainerState == nil)
    }

    @Test func configFileHasGPT2ConfigKeys() throws {
        let model = try Fixtures.model(scalarHead: false)
        let directory = TemporaryDirectory()
        try Checkpoint.save(model: model, to: directory.file("c"))
        let json = try JSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: directory.file("c/config.json")))))
        let object = try #require(json.objectValue)
        #expect(object["n_embd"]?.intValue == 36 && object["n_head"]?.intValue == 3 && object["n_layer"]?.intValue == 2)
        #expect(object["vocab_size"]?.intValue == 67 && object["n_positions"]?.intValue == 16)
        #expect(object["activation_function"]?.stringValue == "gelu_new" && object["model_type"]?.stringValue == "gpt2")
        #expect(object["layer_norm_epsilon"]?.doubleValue == 1e-5)
        #expect(object["n_inner"]?.isNull == true && object["tie_word_embeddings"]?.boolValue == true)
        let file = try SafetensorsFile(path: directory.file("c/model.safetensors"))
        #expect(file.header.entry("transformer.h.1.attn.c_attn.weight")?.shape == [36, 108])
        #expect(file.header.entry("transformer.h.0.mlp.c_proj.weight")?.shape == [144, 36])
        #expect(file.header.entry("lm_head.weight") == nil)
    }

    /// Every file of a checkpoint, one byte flipped at a time in a few places: the manifest refuses it.
    @Test func flippedByteInAnyFileIsRefused() throws {
        let (model, optimizer, state) = try Self.trained()
        let directory = TemporaryDirectory()
        let path = directory.file("checkpoint")
        try Checkpoint.save(model: model, optimizer: optimizer, trainerState: state, to: path)
        let files = try FileManager.default.contentsOfDirectory(atPath: path).sorted()
        #expect(files == ["config.json", "manifest.json", "model.safetensors", "trainer_state.json", "trainer_state.safetensors"])
        for file in files {
            let url = URL(fileURLWithPath: path + "/" + file)
            let original = try Data(contentsOf: url)
            for position in [0, original.count / 2, original.count - 2] {
                var corrupted = original
                corrupted[position] ^= 0x04
                try corrupted.write(to: url)
                #expect(throws: CheckpointError.self, "flipped byte \(position) of \(file)") {
                    _ = try Checkpoint.load(from: path)
                }
                try original.write(to: url)
            }
        }
        _ = try Checkpoint.load(from: path)   // intact again
    }

    static func tensorFile(_ directory: TemporaryDirectory, header: String, dataBytes: Int) throws -> String {
        var bytes = [UInt8]()
        let h = Array(header.utf8)
        for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: UInt64(h.count) >> (8 * UInt64(i)))) }
        bytes += h + [UInt8](repeating: 0, count: dataBytes)
        let path = directory.file("t\(UInt32.random(in: 0...UInt32.max)).safetensors")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Without a manifest (a plain Hugging Face folder) the safetensors header is still validated before
    /// any tensor is read.
    @Test func malformedSafetensorsAreRefusedClearly() throws {
        let directory = TemporaryDirectory()
        let good = #"{"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}}"#
        _ = try SafetensorsFile(path: try Self.tensorFile(directory, header: good, dataBytes: 24))
        let cases: [(String, Int, String)] = [
            (good, 20, "truncated"),
            (good, 28, "follow the last tensor"),
            (#"{"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}}"#, 20, "needs 24 bytes"),
            (#"{"a":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]}}"#, 8, "unsupported dtype"),
            (#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, 8, "overlaps"),
            (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, 8, "hole"),
            (#"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}"#, 0, "shape"),
            (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, 8, "JSON"),
            (#"{"a":"#, 0, "JSON"),
            ("", 0, "JSON"),
            ("[1,2]", 0, "not a JSON object"),
        ]
        for (header, dataBytes, expected) in cases {
            let path = try Self.tensorFile(directory, header: header, dataBytes: dataBytes)
            do {
                _ = try SafetensorsFile(path: path)
                Issue.record("accepted a bad file (\(expected)): \(header)")
            } catch {
                #expect(error.description.contains(expected), "message for \(expected): \(error)")
            }
        }
        // A header length larger than the file.
        let path = directory.file("short.safetensors")
        try Data([200, 0, 0, 0, 0, 0, 0, 0, 123]).write(to: URL(fileURLWithPath: path))
        #expect(throws: CheckpointError.truncated(path: path, reason: "header of 200 bytes but the file has 9")) {
            _ = try SafetensorsFile(path: path)
        }
    }

    @Test func truncatedModelFileWithoutManifestIsRefused() throws {
        let model = try Fixtures.model(scalarHead: false)
        let directory = TemporaryDirectory()
        let path = directory.file("c")
        try Checkpoint.save(model: model, to: path)
        try FileManager.default.removeItem(atPath: path + "/manifest.json")
        _ = try Checkpoint.load(from: path)
        let url = URL(fileURLWithPath: path + "/model.safetensors")
        let data = try Data(contentsOf: url)
        try data.prefix(data.count - 100).write(to: url)
        #expect(throws: CheckpointError.self) { _ = try Checkpoint.load(from: path) }
    }

    @Test func unsupportedConfigsAreRefused() throws {
        let base = JSONObject([("vocab_size", .int(10)), ("n_positions", .int(8)), ("n_embd", .int(8)),
                               ("n_layer", .int(1)), ("n_head", .int(2))])
        #expect(try ConfigFile.parse(base, path: "c").innerSize == 32)
        for (key, value) in [("activation_function", JSONValue.string("relu")), ("scale_attn_by_inverse_layer_idx", .bool(true)),
                             ("reorder_and_upcast_attn", .bool(true)), ("model_type", .string("llama")),
                             ("tie_word_embeddings", .bool(false)), ("n_head", .int(3))] {
            var object = base
            object[key] = value
            #expect(throws: CheckpointError.self, "\(key)") { _ = try ConfigFile.parse(object, path: "c") }
        }
    }

    @Test func halfPrecisionConversion() {
        #expect(halfToFloat(0x3C00) == 1)
        #expect(halfToFloat(0xC000) == -2)
        #expect(halfToFloat(0x7BFF) == 65504)
        #expect(halfToFloat(0x0001) == 0x1p-24)
        #expect(halfToFloat(0x7C00) == .infinity)
    }
}
