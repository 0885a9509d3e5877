/// A key as the labeling screen sees it.
public enum Key: Equatable, Sendable {
    case character(Character)
    case up, down, pageUp, pageDown, home, end
    case enter, backspace, escape
    case controlC, controlZ, controlD
    /// The terminal changed size (SIGWINCH) or was resumed (SIGCONT): redraw.
    case redraw
    /// The terminal went away (SIGHUP) or we were told to stop (SIGTERM).
    case hangup
}

/// Decodes bytes from a terminal in raw mode into keys. Escape sequences (arrows, page keys) are
/// recognised when their bytes arrive together, as terminals send them.
public struct KeyDecoder {
    private var pending: [UInt8] = []

    public init() {}

    public mutating func feed(_ bytes: [UInt8]) -> [Key] {
        pending += bytes
        var keys: [Key] = []
        while !pending.isEmpty {
            let b = pending[0]
            if b == 0x1B {
                if pending.count >= 3 && (pending[1] == 0x5B || pending[1] == 0x4F) {
                    if let (key, length) = csi(pending) { keys.append(key); pending.removeFirst(length); continue }
                }
                keys.append(.escape)
                pending.removeFirst()
                continue
            }
            switch b {
            case 0x03: keys.append(.controlC)
            case 0x04: keys.append(.controlD)
            case 0x1A: keys.append(.controlZ)
            case 0x0D, 0x0A: keys.append(.enter)
            case 0x7F, 0x08: keys.append(.backspace)
            default:
                // A UTF-8 character (rationale text may be any script).
                let length = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4
                guard pending.count >= length else { return keys }
                let text = String(decoding: pending[0..<length], as: UTF8.self)
                if let c = text.first { keys.append(.character(c)) }
                pending.removeFirst(length)
                continue
            }
            pending.removeFirst()
        }
        return keys
    }

    private func csi(_ bytes: [UInt8]) -> (Key, Int)? {
        switch bytes[2] {
        case 0x41: return (.up, 3)
        case 0x42: return (.down, 3)
        case 0x48: return (.home, 3)
        case 0x46: return (.end, 3)
        case 0x35 where bytes.count >= 4 && bytes[3] == 0x7E: return (.pageUp, 4)
        case 0x36 where bytes.count >= 4 && bytes[3] == 0x7E: return (.pageDown, 4)
        default:
            // Unknown sequence: swallow it up to its final byte so it never acts as keys.
            var i = 2
            while i < bytes.count && !(0x40...0x7E).contains(bytes[i]) { i += 1 }
            return i < bytes.count ? (.escape, i + 1) : nil
        }
    }
}
