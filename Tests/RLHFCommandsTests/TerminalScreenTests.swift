import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
import RLHFCore
@testable import RLHFLabel
import RLHFStore
import RLHFTestSupport

/// The real terminal mode, driven through tmux (a pseudo-terminal with a screen we can read):
/// keys in with send-keys, the screen out with capture-pane, the store checked after each step.
@Suite(.serialized) struct TerminalScreenTests {
    final class Tmux {
        let socket = "rlhf-test-\(UUID().uuidString.prefix(8))"
        let session = "label"

        /// Runs tmux through posix_spawn and waitpid. Foundation's Process is not used: the tmux server
        /// that `new-session` starts inherits the descriptor Process watches for its child's exit, so
        /// Process would wait for the server, not for the client. Output goes through a temporary file.
        @discardableResult
        func run(_ arguments: [String], capture: Bool = false) throws -> String {
            let outPath = NSTemporaryDirectory() + "tmux-\(UUID().uuidString).out"
            defer { unlink(outPath) }
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 1, capture ? outPath : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
            let argv = ["tmux", "-L", socket] + arguments
            var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
            defer { for p in cArgs { free(p) } }
            // The test runner's threads block some signals; the shell in the pane must start clean.
            var attributes = posix_spawnattr_t()
            posix_spawnattr_init(&attributes)
            defer { posix_spawnattr_destroy(&attributes) }
            var none = sigset_t(), all = sigset_t()
            sigemptyset(&none)
            sigfillset(&all)
            posix_spawnattr_setsigmask(&attributes, &none)
            posix_spawnattr_setsigdefault(&attributes, &all)
            posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
            var pid: pid_t = 0
            guard posix_spawnp(&pid, "tmux", &actions, &attributes, &cArgs, environ) == 0 else {
                throw CocoaError(.executableNotLoadable)
            }
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            return capture ? ((try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "") : ""
        }

        func screen() throws -> [String] {
            try run(["capture-pane", "-p", "-t", session], capture: true).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        }

        func send(_ keys: String...) throws { try run(["send-keys", "-t", session] + keys) }

        /// Waits until the screen satisfies `condition` (the program redraws asynchronously).
        func waitFor(_ what: String, timeout: Double = 10, _ condition: ([String]) -> Bool) throws -> [String] {
            let deadline = Date().addingTimeInterval(timeout)
            var last: [String] = []
            while Date() < deadline {
                last = try screen()
                if condition(last) { return last }
                Thread.sleep(forTimeInterval: 0.05)
            }
            Issue.record("timed out waiting for \(what); screen:\n\(last.joined(separator: "\n"))")
            return last
        }

        deinit { _ = try? run(["kill-server"]) }
    }

    /// The shell has its prompt back: the last non-empty line starts with "$ " and nothing runs.
    static func shellReady(_ screen: [String]) -> Bool {
        guard let last = screen.last(where: { !$0.trimmingCharacters(in: .whitespaces).isEmpty }) else { return false }
        Thread.sleep(forTimeInterval: 0.2)   // let bash finish drawing its prompt before keys arrive
        return last.hasPrefix("$ ")
    }

    func store(_ dir: TemporaryDirectory) throws -> String {
        let path = dir.file("s.sqlite")
        let lines = [
            #"{"prompt": "写一篇关于蓝色水壶的短评：", "completion": " 很好用，我喜欢吃红色的苹果。"}"#,
            #"{"prompt": "写一篇关于蓝色水壶的短评：", "completion": " evil \u001b]0;pwned\u0007 \u001b[31mred\u001b[0m nul \u0000 end"}"#,
            #"{"prompt": "second prompt", "completion": " first reply"}"#,
            #"{"prompt": "second prompt", "completion": " second reply"}"#,
            #"{"prompt": "third prompt", "completion": " one"}"#,
            #"{"prompt": "third prompt", "completion": " two"}"#,
        ]
        try (lines.joined(separator: "\n") + "\n").write(toFile: dir.file("sft.jsonl"), atomically: true, encoding: .utf8)
        #expect(rlhf(["import", "sft", "sft.jsonl", "--store", path], in: dir).code == 0)
        return path
    }

    @Test func labelsUndoBackResizeInertEscapesAndAlignedChinese() throws {
        let binary = try #require(TestPaths.builtProduct("rlhf"))
        let dir = TemporaryDirectory()
        let path = try store(dir)
        let tmux = Tmux()
        // The pane runs a shell so that, after rlhf exits, the terminal's mode can be checked with stty.
        try tmux.run(["new-session", "-d", "-s", tmux.session, "-x", "120", "-y", "40", "sh"])
        try tmux.send("\(binary.path) label --annotator zoe --store \(path) --seed 1; stty -a > \(dir.file("stty.txt")); echo DO''NE", "Enter")
        var screen = try tmux.waitFor("the first pair") { $0.contains { $0.hasPrefix("Prompt") } }
        #expect(screen.contains { $0.contains("写一篇关于蓝色水壶的短评：") })
        // The escape sequences are drawn as text: nothing retitled, recoloured or moved.
        #expect(screen.contains { $0.contains("\\x1b]0;pwned\\x07") && $0.contains("\\x1b[31mred\\x1b[0m") && $0.contains("␀") })
        // Side by side, and the Chinese line's separator sits in the same cell column as the header's.
        let header = try #require(screen.first { $0.hasPrefix("A ") && $0.contains("│ B") })
        let chinese = try #require(screen.first { $0.contains("很好用") || ($0.contains("│") && $0.contains("evil")) })
        func cellsBefore(_ line: String) -> Int { DisplayText.width(String(line[..<line.firstIndex(of: "│")!])) }
        #expect(cellsBefore(header) == cellsBefore(chinese))

        try tmux.send("a")
        screen = try tmux.waitFor("saved") { $0.last { !$0.isEmpty }?.contains("saved #1") == true }
        let s = try Store(path: path)
        #expect(try s.count("SELECT count(*) FROM current_labels") == 1)

        try tmux.send("u")
        screen = try tmux.waitFor("undo") { $0.contains { $0.contains("undid #1") } }
        #expect(try s.count("SELECT count(*) FROM current_labels") == 0)
        #expect(try s.count("SELECT count(*) FROM labels WHERE kind = 'undo'") == 1)

        try tmux.send("b")     // relabel the undone pair
        _ = try tmux.waitFor("saved #3") { $0.contains { $0.contains("saved #3") } }
        try tmux.send("t")     // the next pair: a tie
        _ = try tmux.waitFor("saved #4") { $0.contains { $0.contains("saved #4") } }
        try tmux.send("p")     // back to the tie
        screen = try tmux.waitFor("going back") { $0.contains { $0.contains("going back") } }
        try tmux.send("a")     // replaces the tie
        _ = try tmux.waitFor("replaces #4") { $0.contains { $0.contains("replaces #4") } }
        #expect(try s.count("SELECT count(*) FROM labels WHERE id = 4 AND superseded_by = 5") == 1)
        #expect(try s.count("SELECT count(*) FROM current_labels") == 2)

        try tmux.run(["resize-window", "-t", tmux.session, "-x", "60", "-y", "30"])
        screen = try tmux.waitFor("stacked layout after resize") { lines in
            lines.contains { $0 == "A" } && !lines.contains { $0.contains("│") }
        }

        try tmux.send("q")
        _ = try tmux.waitFor("exit") { $0.contains { $0.contains("DONE") } }
        let stty = try String(contentsOfFile: dir.file("stty.txt"), encoding: .utf8)
        #expect(stty.contains(" icanon") && stty.contains(" echo ") && !stty.contains("-icanon"), "raw mode restored after q")
    }

    @Test func ctrlZFgCtrlCAndSignalsRestoreTheTerminal() throws {
        let binary = try #require(TestPaths.builtProduct("rlhf"))
        let dir = TemporaryDirectory()
        let path = try store(dir)
        let tmux = Tmux()
        try tmux.run(["new-session", "-d", "-s", tmux.session, "-x", "100", "-y", "30", "bash --norc --noprofile"])
        try tmux.send("PS1='$ '", "Enter")
        try tmux.send("\(binary.path) label --annotator kim --store \(path)", "Enter")
        _ = try tmux.waitFor("screen") { $0.contains { $0.hasPrefix("Prompt") } }
        // Ctrl-Z: the shell gets the terminal back in its normal mode.
        try tmux.send("C-z")
        _ = try tmux.waitFor("job stopped") { $0.contains { $0.contains("Stopped") } }
        try tmux.send("stty -a > \(dir.file("stopped.txt")); echo CHEC''KED", "Enter")
        _ = try tmux.waitFor("stty while stopped") { $0.contains { $0.contains("CHECKED") } }
        let stopped = try String(contentsOfFile: dir.file("stopped.txt"), encoding: .utf8)
        #expect(stopped.contains(" icanon") && !stopped.contains("-icanon"), "raw mode restored on Ctrl-Z")
        // fg: the screen comes back and keys work.
        try tmux.send("fg", "Enter")
        _ = try tmux.waitFor("screen after fg") { $0.contains { $0.hasPrefix("Prompt") } }
        try tmux.send("a")
        _ = try tmux.waitFor("saved after fg") { $0.contains { $0.contains("saved #1") } }
        // Ctrl-C quits cleanly.
        try tmux.send("C-c")
        _ = try tmux.waitFor("prompt back") { Self.shellReady($0) && $0.contains { $0.contains("labels saved") } }
        try tmux.send("stty -a > \(dir.file("after-c.txt")); echo CHEC''KED2", "Enter")
        _ = try tmux.waitFor("stty after Ctrl-C") { $0.contains { $0.contains("CHECKED2") } }
        let afterC = try String(contentsOfFile: dir.file("after-c.txt"), encoding: .utf8)
        #expect(afterC.contains(" icanon") && !afterC.contains("-icanon"), "raw mode restored on Ctrl-C")
        // SIGTERM from outside: restored as well, and the label saved before is still there.
        try tmux.send("\(binary.path) label --annotator kim --store \(path)", "Enter")
        _ = try tmux.waitFor("screen again") { $0.contains { $0.hasPrefix("Prompt") } }
        let kill = Process()
        kill.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        kill.arguments = ["pkill", "-TERM", "-f", "label --annotator kim --store \(path)"]
        try kill.run()
        kill.waitUntilExit()
        _ = try tmux.waitFor("prompt back after SIGTERM") { !$0.contains { $0.hasPrefix("Prompt") } && Self.shellReady($0) }
        try tmux.send("stty -a > \(dir.file("after-term.txt")); echo CHEC''KED3", "Enter")
        _ = try tmux.waitFor("stty after SIGTERM") { $0.contains { $0.contains("CHECKED3") } }
        let afterTerm = try String(contentsOfFile: dir.file("after-term.txt"), encoding: .utf8)
        #expect(afterTerm.contains(" icanon") && !afterTerm.contains("-icanon"), "raw mode restored on SIGTERM")
        // A closed terminal (SIGHUP): the process ends instead of spinning or hanging.
        try tmux.send("\(binary.path) label --annotator hup --store \(path)", "Enter")
        _ = try tmux.waitFor("screen for SIGHUP") { $0.contains { $0.hasPrefix("Prompt") } }
        try tmux.run(["kill-server"])
        var alive = true
        for _ in 0..<100 where alive {
            Thread.sleep(forTimeInterval: 0.05)
            let check = Process()
            check.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            check.arguments = ["pgrep", "-f", "label --annotator hup --store \(path)"]
            check.standardOutput = FileHandle.nullDevice
            try check.run()
            check.waitUntilExit()
            alive = check.terminationStatus == 0
        }
        #expect(!alive, "rlhf label exits when its terminal closes")
        #expect(try Store(path: path).count("SELECT count(*) FROM current_labels") == 1)
    }
}
