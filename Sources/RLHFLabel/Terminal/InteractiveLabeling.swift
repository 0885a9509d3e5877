import Foundation
import RLHFData

/// The labeling screen: the same `LabelSession` as scripted mode, driven by single keys. Every
/// decision key saves at once (no Enter, no waiting for a second key); the status line says "saved"
/// only after the commit returned. Raw mode is restored on every way out: q, Ctrl-C, a closed terminal,
/// SIGTERM, an error (the `defer` below), Ctrl-Z (restored, then re-entered on `fg`).
public final class InteractiveLabeling {
    let session: LabelSession
    let device: TerminalDevice
    let guidelines: String?
    let clock: SessionClock
    private let startedMs: Int64

    private var offered: OfferedPair?
    private var scroll = 0
    private var status = StatusInfo()
    private var message: String?
    private var overlay: [String]?
    /// Typing a rationale: the text so far.
    private var rationaleInput: String?
    private var pendingRationale: String?
    /// The label just saved by a choice: a digit now sets its strength.
    private var amendable: Int64?

    public init(session: LabelSession, device: TerminalDevice, guidelines: String?, clock: SessionClock = SystemClock()) {
        self.session = session
        self.device = device
        self.guidelines = guidelines
        self.clock = clock
        startedMs = clock.nowMs()
    }

    /// Runs until quit, hangup or an empty queue; returns the labels saved.
    @discardableResult
    public func run() throws -> Int {
        try device.enterRawMode()
        defer { device.restore() }
        guard try start() else { return 0 }
        while true {
            for key in try device.readKeys() {
                if try !handle(key) { return session.labelsSaved }
            }
            draw()
        }
    }

    /// Offers and draws the first pair; false when there is none.
    public func start() throws -> Bool {
        offered = try session.next()
        refreshStatus()
        if offered == nil { message = "No pair left to label: the queue is empty or every pair is claimed or has its labels." }
        draw()
        return offered != nil
    }

    /// One keypress, handled and drawn (what `rlhf bench label` times). False ends the session.
    public func press(_ key: Key) throws -> Bool {
        let going = try handle(key)
        draw()
        return going
    }

    /// Handles one key; false ends the session.
    func handle(_ key: Key) throws -> Bool {
        switch key {
        case .hangup: return false
        case .redraw: return true
        case .controlZ:
            device.suspend()
            return true
        default: break
        }
        if rationaleInput != nil { return try handleRationale(key) }
        if overlay != nil {
            overlay = nil                      // any key closes help; q still quits
            if key == .character("q") || key == .controlC { return false }
            return true
        }
        try session.touch()
        if let label = amendable, case .character(let c) = key, let digit = c.wholeNumberValue, let strength = Strength(rawValue: digit) {
            let id = try session.amendStrength(of: label, to: strength)
            amendable = nil
            status.note = "saved #\(id): strength \(digit)"
            message = nil
            return true
        }
        amendable = nil
        guard let action = KeyTable.action(for: key) else {
            message = "no key \(describe(key)): press ? for help"
            status.noteIsError = true
            return true
        }
        status.noteIsError = false
        switch action {
        case .help:
            overlay = helpOverlay()
        case .rationale:
            guard offered != nil else { return true }
            rationaleInput = pendingRationale ?? ""
        case .scrollUp: scroll -= 1
        case .scrollDown: scroll += 1
        case .pageUp: scroll -= max(1, device.rows - 3)
        case .pageDown: scroll += max(1, device.rows - 3)
        case .decide(let decision):
            return try decide(decision)
        }
        return true
    }

    private func decide(_ decision: Decision) throws -> Bool {
        let event = try session.decide(decision, rationale: pendingRationale)
        message = nil
        switch event {
        case .quit: return false
        case let .saved(id, _, winner, _, strength, supersedes):
            pendingRationale = nil
            status.note = "saved #\(id)" + (supersedes.map { " (replaces #\($0))" } ?? "")
            if winner != .tie && strength == nil { amendable = id; status.note += " · 1-3: its strength" }
        case .skipped: status.note = "skipped"; pendingRationale = nil
        case let .undone(id, _, _): status.note = "undid #\(id)"; pendingRationale = nil
        case .wentBack: status.note = "back"
        case .nothingToUndo: message = "nothing to undo"; return true
        case .nothingToGoBackTo: message = "nothing to go back to"; return true
        }
        offered = try session.next()
        scroll = 0
        refreshStatus()
        if offered == nil {
            message = "No pair left to label. Press q to quit."
            return true
        }
        return true
    }

    private func handleRationale(_ key: Key) throws -> Bool {
        guard var text = rationaleInput else { return true }
        switch key {
        case .enter:
            pendingRationale = text.isEmpty ? nil : text
            rationaleInput = nil
            status.note = pendingRationale == nil ? "no rationale" : "rationale kept for this pair's label"
        case .escape, .controlC:
            rationaleInput = nil
        case .backspace:
            if !text.isEmpty { text.removeLast() }
            rationaleInput = text
        case .character(let c):
            text.append(c)
            rationaleInput = text
        default: break
        }
        try session.touch()
        return true
    }

    private func refreshStatus() {
        status.labeled = session.labelsSaved
        status.left = session.remaining + (offered == nil ? 0 : 1)
        let minutes = Double(max(1, clock.nowMs() - startedMs)) / 60_000
        status.perMinute = Double(session.labelsSaved) / minutes
    }

    private func helpOverlay() -> [String] {
        var lines = ["Keys (any key closes this help)", ""] + KeyTable.helpLines.map { "  " + $0 }
        lines += ["", "A is the completion shown first (left or top), B the one shown second."]
        if let guidelines {
            lines += ["", "Guidelines:"] + guidelines.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }
        } else {
            lines += ["", "No guidelines set (rlhf guidelines set FILE)."]
        }
        return lines
    }

    private func describe(_ key: Key) -> String {
        if case .character(let c) = key { return "'\(c)'" }
        return "\(key)"
    }

    func draw() {
        var shownMessage = message
        if let input = rationaleInput { shownMessage = "rationale (Enter keeps, Esc cancels): " + input + "▏" }
        if shownMessage == nil, let r = pendingRationale { shownMessage = "rationale: " + r }
        let (frame, clamped) = LabelScreen.render(offered, columns: device.columns, rows: device.rows, scroll: scroll,
                                                  status: status, message: shownMessage, overlay: overlay)
        scroll = clamped
        device.draw(frame)
    }
}
