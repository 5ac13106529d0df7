import Foundation
import ShoalCore
import ShoalProtocol
import ShoalTestSupport
import ShoalWorker
import ZeroMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A temporary directory to run command tasks in, with helpers to build their assignments.
struct CommandTaskFixture {
    let directory: TemporaryDirectory

    init() throws {
        directory = try TemporaryDirectory(prefix: "shoal-cmd")
    }

    /// A spec running `arguments` in the fixture's directory.
    func spec(
        _ arguments: [String], input: String? = nil, environment: [String: String] = [:],
        standardOutput: CommandTaskSpec.StandardOutput = .output
    ) -> CommandTaskSpec {
        CommandTaskSpec(
            arguments: arguments, environment: environment, workingDirectory: directory.path, input: input,
            shardIndex: 2, shardCount: 5, jobName: "fixture", standardOutput: standardOutput)
    }

    /// A spec running `script` with `/bin/sh -c`, as a job's string `command:` does.
    func shell(_ script: String, input: String? = nil) -> CommandTaskSpec {
        spec(["/bin/sh", "-c", script], input: input)
    }

    /// Runs `spec` as attempt 1 of task 7, with a deadline on the whole run.
    func run(
        _ spec: CommandTaskSpec, timeoutMs: UInt32 = 0, executor: CommandExecutor = CommandExecutor(),
        context: TaskContext? = nil
    ) async throws -> TaskResult {
        let context = context ?? self.context()
        let assignment = assignment(spec, timeoutMs: timeoutMs, context: context)
        return try await withDeadline(.seconds(30)) { await executor.run(assignment, context: context) }
    }

    /// The assignment of `spec` for `context`'s attempt.
    func assignment(_ spec: CommandTaskSpec, timeoutMs: UInt32 = 0, context: TaskContext) -> TaskAssignment {
        TaskAssignment(task: context.task, jobID: 1, kind: "command", timeoutMs: timeoutMs, spec: Frame(spec.jsonBytes()))
    }

    /// A fresh context with a scratch directory inside the fixture's directory.
    func context() -> TaskContext {
        TaskContext(task: TaskRef(taskID: 7, attempt: 1), scratchDirectory: directory.path("scratch-\(UUID().uuidString.prefix(8))"))
    }

    /// Writes `bytes` to a file in the fixture's directory and returns its path.
    func file(_ name: String, _ bytes: [UInt8]) throws -> String {
        let path = directory.path(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }
}

/// Whether process `pid` has ended: it no longer exists, or it is a zombie waiting for its parent to collect
/// it. An orphan's parent is PID 1, and some container inits never collect anything.
func processHasEnded(_ pid: pid_t) -> Bool {
    if kill(pid, 0) != 0 { return errno == ESRCH }
    #if os(Linux)
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let afterName = stat.range(of: ") ", options: .backwards)
    else { return true }
    return stat[afterName.upperBound...].hasPrefix("Z")
    #else
    return false
    #endif
}

extension TaskResult {
    /// The payload of the output named `name`, as text.
    func output(_ name: String) -> String? {
        outputs.first { $0.name == name }.map { String(decoding: $0.frame.bytes, as: UTF8.self) }
    }
}
