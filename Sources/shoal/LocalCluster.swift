import ArgumentParser
import Foundation
import Synchronization

/// A coordinator and N workers started as child processes of this `shoal` (the same executable), for
/// `shoal run` and `shoal up`. Their logs go to files; they are stopped by PID, workers first.
final class LocalCluster {
    let logDirectory: String
    private(set) var coordinator: Process?
    private(set) var workers: [Process] = []
    private(set) var endpoints: [String: String] = [:]
    /// The children's PIDs, for the interrupt handler, which runs on another thread.
    let pids = ChildPIDs()

    init(logDirectory: String) throws {
        self.logDirectory = logDirectory
        try FileManager.default.createDirectory(atPath: logDirectory, withIntermediateDirectories: true)
    }

    /// The running executable, to start children of the same build.
    static var executable: URL {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    }

    /// Starts the coordinator with `arguments` and waits (up to 30 s) for its ready file.
    func startCoordinator(_ arguments: [String]) throws {
        let readyFile = (logDirectory as NSString).appendingPathComponent("coordinator.ready")
        try? FileManager.default.removeItem(atPath: readyFile)
        let process = try spawn(["coordinator", "--ready-file", readyFile] + arguments, log: "coordinator.log")
        coordinator = process
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if let ready = ReadyFile.read(readyFile) {
                endpoints = ready
                return
            }
            guard process.isRunning else { break }
            usleep(20_000)
        }
        let log = (try? String(contentsOfFile: logPath("coordinator.log"), encoding: .utf8)) ?? ""
        throw ValidationError("the coordinator did not start:\n\(log.suffix(2_000))")
    }

    /// Starts `count` workers connected to the coordinator's worker endpoint, each also given `extra` arguments
    /// (the keys flags).
    func startWorkers(_ count: Int, slots: Int?, extra: [String] = []) throws {
        guard let endpoint = endpoints["workers"] else { return }
        for index in workers.count..<(workers.count + count) {
            var arguments = ["worker", "--coordinator", endpoint, "--drain-timeout", "2",
                             "--id", "local-\(getpid())-\(index)"]
            if let slots { arguments += ["--slots", "\(slots)"] }
            arguments += extra
            workers.append(try spawn(arguments, log: "worker-\(index).log"))
        }
    }

    /// How long a child has after SIGTERM before SIGKILL: a worker's drain (`--drain-timeout 2`), then its
    /// commands' kill grace (5 s) before it kills what is left of them itself, and a margin. Less, and a worker
    /// killed mid-way would leave a command that ignores SIGTERM running (`CommandProcessGroups`).
    static let stopGrace: TimeInterval = 10

    /// Why this cluster cannot finish a job any more, or nil: its coordinator exited, or every worker did — of
    /// the processes started so far; any task may ask.
    var failureCheck: @Sendable () -> String? {
        let (coordinator, workers) = (self.coordinator, self.workers)
        let (coordinatorLog, logDirectory) = (logPath("coordinator.log"), self.logDirectory)
        return {
            if let coordinator, !coordinator.isRunning {
                return "the coordinator exited (status \(coordinator.terminationStatus)); see \(coordinatorLog)"
            }
            if !workers.isEmpty, !workers.contains(where: \.isRunning) {
                return "every worker exited; see the worker-N.log files in \(logDirectory)"
            }
            return nil
        }
    }

    /// A new, empty directory under the system's temporary directory, named `prefix` and six random characters.
    static func freshStateDirectory(prefix: String) throws -> String {
        var template = Array(((NSTemporaryDirectory() as NSString).appendingPathComponent(prefix + "XXXXXX")).utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw ValidationError("cannot create a state directory in \(NSTemporaryDirectory()): \(String(cString: strerror(errno)))")
        }
        return String(cString: made)
    }

    /// Stops workers (they drain and leave), then the coordinator; each gets `grace` before SIGKILL.
    func stop(grace: TimeInterval = stopGrace) {
        for worker in workers where worker.isRunning { kill(worker.processIdentifier, SIGTERM) }
        for worker in workers { Self.wait(worker, grace: grace) }
        if let coordinator, coordinator.isRunning {
            kill(coordinator.processIdentifier, SIGTERM)
            Self.wait(coordinator, grace: grace)
        }
    }

    func logPath(_ name: String) -> String { (logDirectory as NSString).appendingPathComponent(name) }

    private func spawn(_ arguments: [String], log: String) throws -> Process {
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = arguments
        // The coordinator and workers end with this `shoal up`, even one killed with SIGKILL (`ParentWatch`).
        var environment = ProcessInfo.processInfo.environment
        environment[ParentWatch.variable] = "\(getpid())"
        process.environment = environment
        let path = logPath(log)
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw ValidationError("cannot create \(path)")
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        pids.add(process.processIdentifier)
        return process
    }

    static func wait(_ process: Process, grace: TimeInterval) {
        let deadline = Date().addingTimeInterval(grace)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

/// PIDs of the children a `LocalCluster` started; safe to read from a signal handler's thread.
final class ChildPIDs: Sendable {
    private let pids = Mutex<[pid_t]>([])

    func add(_ pid: pid_t) { pids.withLock { $0.append(pid) } }

    /// SIGTERM to every child (workers were started after the coordinator, so they go first), then SIGKILL to
    /// any still alive after `grace` seconds.
    func terminateAll(grace: TimeInterval) {
        let all = pids.withLock { $0 }
        for pid in all.reversed() { kill(pid, SIGTERM) }
        let deadline = Date().addingTimeInterval(grace)
        while Date() < deadline, all.contains(where: { kill($0, 0) == 0 && !Self.isZombie($0) }) { usleep(20_000) }
        for pid in all where kill(pid, 0) == 0 { kill(pid, SIGKILL) }
    }

    /// An exited child not yet reaped still answers kill(pid, 0).
    private static func isZombie(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return true }
        return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
    }
}
