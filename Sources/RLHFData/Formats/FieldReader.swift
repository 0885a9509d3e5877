import RLHFCore

/// Typed access to the fields of one JSON record, with errors that name the field and say what was
/// expected and what was found.
struct FieldReader {
    let object: JSONObject
    /// For nested objects: the parent field, so messages say `field "meta"."strength"`.
    var parent: String? = nil

    func name(_ key: String) -> String { parent.map { "\"\($0)\".\"\(key)\"" } ?? "\"\(key)\"" }

    func has(_ key: String) -> Bool { object[key] != nil }

    func requiredValue(_ key: String) throws(RecordError) -> JSONValue {
        guard let v = object[key] else { throw RecordError("missing field \(name(key))") }
        return v
    }

    func string(_ key: String) throws(RecordError) -> String {
        let v = try requiredValue(key)
        guard let s = v.stringValue else { throw RecordError("field \(name(key)): expected a string, got \(v.typeName)") }
        return s
    }

    func optionalString(_ key: String) throws(RecordError) -> String? {
        guard let v = object[key], !v.isNull else { return nil }
        guard let s = v.stringValue else { throw RecordError("field \(name(key)): expected a string or null, got \(v.typeName)") }
        return s
    }

    func optionalNumber(_ key: String) throws(RecordError) -> Double? {
        guard let v = object[key], !v.isNull else { return nil }
        guard let d = v.doubleValue, d.isFinite else { throw RecordError("field \(name(key)): expected a number, got \(v.typeName)") }
        return d
    }

    func optionalInt(_ key: String, in range: ClosedRange<Int>) throws(RecordError) -> Int? {
        guard let v = object[key], !v.isNull else { return nil }
        guard let i = v.intValue, range.contains(i) else {
            throw RecordError("field \(name(key)): expected an integer from \(range.lowerBound) to \(range.upperBound), got \(JSONWriter.encode(v))")
        }
        return i
    }

    func optionalObject(_ key: String) throws(RecordError) -> JSONObject? {
        guard let v = object[key] else { return nil }
        guard let o = v.objectValue else { throw RecordError("field \(name(key)): expected an object, got \(v.typeName)") }
        return o
    }

    /// One of a fixed set of strings, or null/absent.
    func optionalChoice(_ key: String, _ allowed: [String]) throws(RecordError) -> String? {
        guard let s = try optionalString(key) else { return nil }
        guard allowed.contains(s) else {
            throw RecordError("field \(name(key)): expected one of \(allowed.map { "\"\($0)\"" }.joined(separator: ", ")), got \"\(s)\"")
        }
        return s
    }
}

extension String {
    /// True when the text is empty or only whitespace (a prompt must say something).
    var isBlank: Bool { allSatisfy { $0.isWhitespace } }
}
