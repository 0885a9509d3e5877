/// The screen's one door to a terminal: size, raw mode, keys in, frames out. The real terminal and
/// the in-memory one (tests, `rlhf bench label`) both implement it.
public protocol TerminalDevice: AnyObject {
    var columns: Int { get }
    var rows: Int { get }
    /// Colours: off when NO_COLOR is set or the output is not a terminal.
    var color: Bool { get }
    func enterRawMode() throws
    /// Leaves raw mode and the alternate screen; safe to call more than once.
    func restore()
    /// Blocks until at least one key (or a signal turned into a key) arrives.
    func readKeys() throws -> [Key]
    func draw(_ frame: Frame)
    /// Stops the process (Ctrl-Z) after restoring the terminal; returns when resumed.
    func suspend()
}

/// An in-memory terminal: scripted keys in, the last frame kept. Out of keys, it hangs up.
public final class VirtualTerminal: TerminalDevice {
    public var columns: Int
    public var rows: Int
    public let color = false
    public private(set) var frames: [Frame] = []
    public var keepFrames = true
    public private(set) var lastFrame: Frame?
    private var script: [[Key]]
    public private(set) var rawMode = false
    public private(set) var restoreCount = 0
    /// Called before each read: tests resize or inspect between keys.
    public var beforeRead: ((VirtualTerminal) -> Void)?

    public init(columns: Int = 120, rows: Int = 40, keys: [[Key]] = []) {
        self.columns = columns
        self.rows = rows
        script = keys
    }

    public func enterRawMode() throws { rawMode = true }
    public func restore() { if rawMode { rawMode = false }; restoreCount += 1 }
    public func push(_ keys: [Key]) { script.append(keys) }

    public func readKeys() throws -> [Key] {
        beforeRead?(self)
        guard !script.isEmpty else { return [.hangup] }
        return script.removeFirst()
    }

    public func draw(_ frame: Frame) {
        lastFrame = frame
        if keepFrames { frames.append(frame) }
    }

    public func suspend() { restore(); rawMode = true }

    public var screenText: [String] { lastFrame?.plainLines ?? [] }
}
