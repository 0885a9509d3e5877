#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Signals arrive as bytes on a pipe the key loop polls, so a handler does nothing but write(2).
nonisolated(unsafe) private var signalPipe: (read: Int32, write: Int32) = (-1, -1)
/// The terminal settings to put back, also from an atexit handler (any exit path that runs exit).
nonisolated(unsafe) private var savedTermios: termios? = nil
nonisolated(unsafe) private var ttyFD: Int32 = -1

private func writeSignal(_ signal: Int32) {
    var byte = UInt8(truncatingIfNeeded: signal)
    _ = write(signalPipe.write, &byte, 1)
}

private func restoreAtExit() {
    if var saved = savedTermios, ttyFD >= 0 {
        let leave = "\u{1B}[?25h\u{1B}[?1049l"
        _ = leave.withCString { write(ttyFD, $0, strlen($0)) }
        _ = tcsetattr(ttyFD, TCSAFLUSH, &saved)
    }
}

public enum TTYError: Error, CustomStringConvertible {
    case notATerminal
    case system(String)
    public var description: String {
        switch self {
        case .notATerminal: return "stdin is not a terminal"
        case .system(let what): return "terminal: \(what): \(String(cString: strerror(errno)))"
        }
    }
}

/// The real terminal: raw mode through termios, the alternate screen, size from TIOCGWINSZ, and the
/// signals that must leave the terminal usable: SIGWINCH (redraw), SIGTSTP/SIGCONT (suspend, resume),
/// SIGHUP (terminal closed), SIGTERM and SIGINT (quit). Raw mode is restored on every exit path: the
/// screen's own `defer`, these signals, and an atexit handler.
public final class TTY: TerminalDevice {
    let input: Int32
    let output: Int32
    public let color: Bool
    private var decoder = KeyDecoder()
    private var isRaw = false

    public init(input: Int32 = 0, output: Int32 = 1, environment: [String: String]) throws {
        guard isatty(input) == 1 else { throw TTYError.notATerminal }
        self.input = input
        self.output = output
        color = environment["NO_COLOR"] == nil && isatty(output) == 1
        if signalPipe.read < 0 {
            var fds: [Int32] = [0, 0]
            guard pipe(&fds) == 0 else { throw TTYError.system("pipe") }
            signalPipe = (fds[0], fds[1])
            _ = fcntl(fds[1], F_SETFL, O_NONBLOCK)
            atexit { restoreAtExit() }
        }
    }

    public var columns: Int { size().columns }
    public var rows: Int { size().rows }

    func size() -> (columns: Int, rows: Int) {
        var ws = winsize()
        if ioctl(output, UInt(TIOCGWINSZ), &ws) == 0 && ws.ws_col > 0 && ws.ws_row > 0 { return (Int(ws.ws_col), Int(ws.ws_row)) }
        return (80, 24)
    }

    public func enterRawMode() throws {
        var current = termios()
        guard tcgetattr(input, &current) == 0 else { throw TTYError.system("tcgetattr") }
        if savedTermios == nil { savedTermios = current }
        ttyFD = input
        var raw = current
        raw.c_iflag &= ~tcflag_t(BRKINT | ICRNL | INPCK | ISTRIP | IXON)
        raw.c_oflag &= ~tcflag_t(OPOST)
        raw.c_cflag |= tcflag_t(CS8)
        raw.c_lflag &= ~tcflag_t(ECHO | ICANON | IEXTEN | ISIG)
        guard tcsetattr(input, TCSAFLUSH, &raw) == 0 else { throw TTYError.system("tcsetattr") }
        // A parent may have started us with these blocked (signal masks are inherited); they must
        // reach us, or Ctrl-Z, resizes and a closed terminal would go unnoticed.
        var mask = sigset_t()
        sigemptyset(&mask)
        for s in [SIGWINCH, SIGCONT, SIGHUP, SIGTERM, SIGINT, SIGTSTP] {
            signal(s) { writeSignal($0) }
            sigaddset(&mask, s)
        }
        pthread_sigmask(SIG_UNBLOCK, &mask, nil)
        emit("\u{1B}[?1049h\u{1B}[?25l\u{1B}[2J")
        isRaw = true
    }

    public func restore() {
        guard isRaw, var saved = savedTermios else { return }
        emit("\u{1B}[0m\u{1B}[?25h\u{1B}[?1049l")
        _ = tcsetattr(input, TCSAFLUSH, &saved)
        isRaw = false
    }

    public func suspend() {
        restore()
        signal(SIGTSTP, SIG_DFL)
        raise(SIGTSTP)                       // stops here until `fg`
        signal(SIGTSTP) { writeSignal($0) }
        try? enterRawMode()
    }

    public func readKeys() throws -> [Key] {
        var fds = [pollfd(fd: input, events: Int16(POLLIN), revents: 0), pollfd(fd: signalPipe.read, events: Int16(POLLIN), revents: 0)]
        while true {
            let n = poll(&fds, 2, -1)
            if n < 0 { if errno == EINTR { continue }; throw TTYError.system("poll") }
            if fds[1].revents & Int16(POLLIN) != 0 {
                var byte: UInt8 = 0
                _ = read(signalPipe.read, &byte, 1)
                switch Int32(byte) {
                case SIGWINCH, SIGCONT: return [.redraw]
                case SIGHUP, SIGTERM: return [.hangup]
                case SIGINT: return [.controlC]
                case SIGTSTP: return [.controlZ]
                default: continue
                }
            }
            if fds[0].revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
                var buffer = [UInt8](repeating: 0, count: 256)
                let got = read(input, &buffer, buffer.count)
                if got <= 0 {
                    if got < 0 && errno == EINTR { continue }
                    return [.hangup]                 // the terminal went away
                }
                let keys = decoder.feed(Array(buffer[0..<got]))
                if !keys.isEmpty { return keys }
            }
        }
    }

    public func draw(_ frame: Frame) { emit(frame.ansi(color: color)) }

    private func emit(_ text: String) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { write(output, $0.baseAddress! + offset, $0.count - offset) }
            if n <= 0 { if errno == EINTR { continue }; return }
            offset += n
        }
    }
}
