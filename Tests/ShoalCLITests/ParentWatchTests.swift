import Foundation
import ShoalTestSupport
import Testing

/// Processes started by `shoal up` or by tests end once their parent is gone, even a parent killed with SIGKILL.
@Suite struct ParentWatchTests {
    /// Whether `pid` has ended: gone, or a zombie nobody reaped yet.
    static func ended(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
        // The state follows the command's closing parenthesis: "pid (comm) S ...".
        guard let close = stat.lastIndex(of: ")") else { return true }
        return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
    }

    /// A shell starts a worker with `SHOAL_EXIT_WITH_PARENT` set to `watch`, writes its PID, then dies of SIGKILL:
    /// the worker is orphaned, with no coordinator to tell it anything. Returns the worker's PID once its parent is
    /// gone, with the shell's `ChildProcess`, which the caller must keep until the worker has ended: released
    /// earlier, its deinit waits for the shell's exit, which Foundation reports only once the orphan (holding the
    /// shell's output files) has ended too.
    static func orphanedWorker(watch: String, in directory: TemporaryDirectory) async throws -> (pid: Int32, ChildProcess) {
        let shoal = try BuiltProducts.shoal.path
        let pidFile = directory.path("worker.pid")
        let script = """
            SHOAL_EXIT_WITH_PARENT=\(watch) '\(shoal)' worker --coordinator tcp://127.0.0.1:9 --slots 1 &
            echo $! > '\(pidFile)'
            sleep 1
            kill -9 $$
            """
        let shell = try ChildProcess(URL(fileURLWithPath: "/bin/sh"), ["-c", script], in: directory, name: "shell")
        // Watched through /proc: Foundation reports the shell's exit only once the orphan, which inherited its
        // output files, has closed them too.
        #expect(await waitUntil(timeout: .seconds(20), every: .milliseconds(50)) { Self.ended(shell.pid) })
        let line = try #require(await waitForLine(inFile: pidFile, timeout: .seconds(10)))
        return (try #require(Int32(line.trimmingCharacters(in: .whitespacesAndNewlines))), shell)
    }

    @Test(.timeLimit(.minutes(1)))
    func aWorkerWhoseParentIsKilledEndsByItself() async throws {
        let directory = try TemporaryDirectory()
        let (pid, shell) = try await Self.orphanedWorker(watch: "1", in: directory)
        #expect(await waitUntil(timeout: .seconds(30), every: .milliseconds(100)) { Self.ended(pid) },
                "worker \(pid) outlived its parent")
        if !Self.ended(pid) { kill(pid, SIGKILL) }
        withExtendedLifetime(shell) {}
    }

    /// Given its parent's PID, a process whose parent died before its watch started (reparented already) sees it.
    @Test(.timeLimit(.minutes(1)))
    func aWorkerWhoseNamedParentIsGoneAtStartEndsByItself() async throws {
        let directory = try TemporaryDirectory()
        let gone = try ChildProcess(URL(fileURLWithPath: "/bin/true"), [], in: directory, name: "true")
        #expect(await gone.waitForExit(timeout: .seconds(20)) == 0)
        let worker = try ChildProcess(
            try BuiltProducts.shoal, ["worker", "--coordinator", "tcp://127.0.0.1:9", "--slots", "1"], in: directory,
            environment: ProcessInfo.processInfo.environment.merging(["SHOAL_EXIT_WITH_PARENT": "\(gone.pid)"]) { $1 },
            name: "worker")
        // Ended by the SIGTERM the watch sends (before the worker's own handlers are up, it is the default action).
        #expect(await worker.waitForExit(timeout: .seconds(30)) != nil, "the worker did not see its parent was gone")
    }

    @Test(.timeLimit(.minutes(1)))
    func withoutTheWatchAnOrphanRunsOn() async throws {
        // The control: the same orphan without SHOAL_EXIT_WITH_PARENT is still running after the watch's period,
        // so the test above measures the watch, not a worker that exits anyway.
        let directory = try TemporaryDirectory()
        let (pid, shell) = try await Self.orphanedWorker(watch: "", in: directory)
        // Three of the watch's periods; then end it ourselves (by PID: we started it).
        try await Task.sleep(for: .milliseconds(1500))
        #expect(!Self.ended(pid), "the worker ended without the watch")
        kill(pid, SIGKILL)
        withExtendedLifetime(shell) {}
    }
}
