import RLHFCore

/// Reads and writes our `meta` object. Keys are always written, in one fixed order, so files have
/// one shape (pyarrow and `datasets` infer a column type from it) and bytes are reproducible.
public enum PreferenceMetaCodec {
    public static func parse(_ object: JSONObject?) throws(RecordError) -> PreferenceMeta? {
        guard let object else { return nil }
        let f = FieldReader(object: object, parent: "meta")
        func sha(_ key: String) throws(RecordError) -> String? {
            guard let s = try f.optionalString(key) else { return nil }
            guard s.utf8.count == 64, s.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else {
                throw RecordError("field \(f.name(key)): expected 64 lowercase hex digits")
            }
            return s
        }
        var meta = PreferenceMeta()
            meta.id = try f.optionalString("id")
            meta.promptSHA256 = try sha("prompt_sha256")
            meta.chosenSHA256 = try sha("chosen_sha256")
            meta.rejectedSHA256 = try sha("rejected_sha256")
            meta.isTie = try f.optionalChoice("winner", ["chosen", "tie"]) == "tie"
            if let kind = try f.optionalChoice("tie_kind", TieKind.allCases.map(\.rawValue)) {
                guard meta.isTie else { throw RecordError("field \"meta\".\"tie_kind\" is set but \"winner\" is not \"tie\"") }
                meta.tieKind = TieKind(rawValue: kind)
            } else if meta.isTie {
                meta.tieKind = .plain
            }
            meta.strength = try f.optionalInt("strength", in: 1...3).flatMap(Strength.init(rawValue:))
            meta.annotator = try f.optionalString("annotator")
            if meta.annotator?.isEmpty == true { throw RecordError("field \"meta\".\"annotator\" is empty") }
            if let source = try f.optionalString("source") {
                guard source == "human" || source == "simulated" || (source.hasPrefix("imported:") && source.count > 9) else {
                    throw RecordError("field \"meta\".\"source\": expected \"human\", \"simulated\" or \"imported:<file>\", got \"\(source)\"")
                }
                meta.source = source
            }
            if let shown = try f.optionalChoice("shown_first", ["chosen", "rejected"]) { meta.chosenShownFirst = shown == "chosen" }
            meta.promptBytes = try f.optionalInt("prompt_bytes", in: 0...Int(Int32.max))
            return meta
    }

    public static func write(_ meta: PreferenceMeta, into w: inout JSONWriter) {
        w.raw("{\"id\":")
        if let id = meta.id { w.string(id) } else { w.null() }
        w.raw(",\"prompt_sha256\":"); optional(meta.promptSHA256, &w)
        w.raw(",\"chosen_sha256\":"); optional(meta.chosenSHA256, &w)
        w.raw(",\"rejected_sha256\":"); optional(meta.rejectedSHA256, &w)
        w.raw(",\"winner\":"); if meta.isTie { w.raw("\"tie\"") } else { w.raw("\"chosen\"") }
        w.raw(",\"tie_kind\":"); optional(meta.tieKind?.rawValue, &w)
        w.raw(",\"strength\":"); if let s = meta.strength { w.int(s.rawValue) } else { w.null() }
        w.raw(",\"annotator\":"); optional(meta.annotator, &w)
        w.raw(",\"source\":"); optional(meta.source, &w)
        w.raw(",\"shown_first\":")
        switch meta.chosenShownFirst {
        case .none: w.null()
        case .some(true): w.raw("\"chosen\"")
        case .some(false): w.raw("\"rejected\"")
        }
        if let n = meta.promptBytes { w.raw(",\"prompt_bytes\":"); w.int(n) }
        if let n = meta.votes { w.raw(",\"votes\":"); w.int(n) }
        if let a = meta.agreement { w.raw(",\"agreement\":"); w.double(a) }
        w.raw("}")
    }

    static func optional(_ s: String?, _ w: inout JSONWriter) { if let s { w.string(s) } else { w.null() } }
}
