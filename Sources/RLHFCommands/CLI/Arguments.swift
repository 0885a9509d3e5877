/// A flag or option a command accepts.
public struct OptionSpec: Sendable {
    public enum Kind: Sendable { case flag, value, repeating }
    public let name: String          // "--store"
    public let kind: Kind
    public let valueName: String     // "PATH"
    public let help: String

    /// A switch without a value.
    public static func flag(_ name: String, _ help: String) -> OptionSpec {
        OptionSpec(name: name, kind: .flag, valueName: "", help: help)
    }
    /// An option with one value; given twice, the last one wins.
    public static func value(_ name: String, _ valueName: String, _ help: String) -> OptionSpec {
        OptionSpec(name: name, kind: .value, valueName: valueName, help: help)
    }
    /// An option that may be given several times, each value also split at commas.
    public static func repeating(_ name: String, _ valueName: String, _ help: String) -> OptionSpec {
        OptionSpec(name: name, kind: .repeating, valueName: valueName, help: help)
    }
}

/// Parsed command line: options by name, positionals in order. Accessors turn bad values into
/// `UsageError`s that name the option.
public struct ParsedArguments {
    public let command: String
    public private(set) var values: [String: [String]] = [:]
    public private(set) var positionals: [String] = []

    public init(command: String, arguments: [String], options: [OptionSpec],
                positionals allowed: ClosedRange<Int>) throws {
        self.command = command
        let byName = Dictionary(options.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var i = 0
        var onlyPositionals = false
        while i < arguments.count {
            let arg = arguments[i]
            i += 1
            if onlyPositionals || !arg.hasPrefix("-") || arg == "-" {
                positionals.append(arg)
                continue
            }
            if arg == "--" { onlyPositionals = true; continue }
            var name = arg
            var inlineValue: String? = nil
            if let eq = arg.firstIndex(of: "="), arg.hasPrefix("--") {
                name = String(arg[..<eq])
                inlineValue = String(arg[arg.index(after: eq)...])
            }
            guard let spec = byName[name] else {
                // A negative number is a positional, not an option.
                if Double(arg) != nil { positionals.append(arg); continue }
                var message = "unknown option \(name) for 'rlhf \(command)'"
                if let guess = Suggest.closest(to: name, among: options.map(\.name)) { message += "; did you mean \(guess)?" }
                throw UsageError(message + " (see rlhf \(command) --help)")
            }
            switch spec.kind {
            case .flag:
                if inlineValue != nil { throw UsageError("option \(name) takes no value") }
                values[name, default: []].append("true")
            case .value, .repeating:
                let value: String
                if let inlineValue {
                    value = inlineValue
                } else {
                    guard i < arguments.count, !arguments[i].hasPrefix("--") else {
                        throw UsageError("option \(name) needs a value (\(spec.valueName))")
                    }
                    value = arguments[i]
                    i += 1
                }
                if spec.kind == .repeating {
                    values[name, default: []].append(contentsOf: value.split(separator: ",").map(String.init))
                } else {
                    values[name] = [value]
                }
            }
        }
        if positionals.count < allowed.lowerBound {
            throw UsageError("'rlhf \(command)' needs \(allowed.lowerBound == allowed.upperBound ? "" : "at least ")\(allowed.lowerBound) argument\(allowed.lowerBound == 1 ? "" : "s") (see rlhf \(command) --help)")
        }
        if positionals.count > allowed.upperBound {
            let extra = positionals[allowed.upperBound]
            throw UsageError("unexpected argument '\(extra)' for 'rlhf \(command)' (see rlhf \(command) --help)")
        }
    }

    public func flag(_ name: String) -> Bool { values[name] != nil }

    public func string(_ name: String) -> String? { values[name]?.last }

    public func strings(_ name: String) -> [String] { values[name] ?? [] }

    public func int(_ name: String, range: ClosedRange<Int>? = nil) throws -> Int? {
        guard let text = string(name) else { return nil }
        guard let v = Int(text) else { throw UsageError("option \(name) wants an integer, got '\(text)'") }
        if let range, !range.contains(v) {
            throw UsageError("option \(name) must be between \(range.lowerBound) and \(range.upperBound), got \(v)")
        }
        return v
    }

    public func double(_ name: String, range: ClosedRange<Double>? = nil) throws -> Double? {
        guard let text = string(name) else { return nil }
        guard let v = Double(text), v.isFinite else { throw UsageError("option \(name) wants a number, got '\(text)'") }
        if let range, !range.contains(v) {
            throw UsageError("option \(name) must be between \(range.lowerBound) and \(range.upperBound), got \(text)")
        }
        return v
    }

    public func uint64(_ name: String) throws -> UInt64? {
        guard let text = string(name) else { return nil }
        guard let v = UInt64(text) else { throw UsageError("option \(name) wants a non-negative integer, got '\(text)'") }
        return v
    }

    /// One value out of a fixed set.
    public func choice(_ name: String, _ allowed: [String]) throws -> String? {
        guard let text = string(name) else { return nil }
        guard allowed.contains(text) else {
            throw UsageError("option \(name) must be one of \(allowed.joined(separator: ", ")), got '\(text)'")
        }
        return text
    }

    /// Repeated values, each out of a fixed set.
    public func choices(_ name: String, _ allowed: [String]) throws -> [String] {
        let all = strings(name)
        for text in all where !allowed.contains(text) {
            throw UsageError("option \(name) must be one of \(allowed.joined(separator: ", ")), got '\(text)'")
        }
        return all
    }
}

/// "Did you mean": the closest candidate by edit distance, if it is close enough to be a typo.
public enum Suggest {
    public static func closest(to word: String, among candidates: [String]) -> String? {
        var best: (String, Int)? = nil
        for candidate in candidates {
            let d = distance(Array(word), Array(candidate))
            if d <= max(2, candidate.count / 3), d < (best?.1 ?? Int.max) { best = (candidate, d) }
        }
        return best?.0
    }

    static func distance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
