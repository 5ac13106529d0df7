import Foundation
import ShoalCore
import ShoalProtocol

/// Runs `command` tasks: one process (group) per attempt, as the job's `CommandTaskSpec` describes —
/// Hadoop Streaming's contract without Hadoop. docs/jobs.md describes what the command sees and returns.
///
/// - stdin is the shard's input file (empty without one), fed through a pipe so progress counts its bytes;
/// - stdout becomes the output file `stdout` (or is discarded), and every regular file the command writes
///   under `$SHOAL_OUTPUT_DIR` is an output too;
/// - stderr lines `reporter:status:…` and `reporter:counter:GROUP,NAME,AMOUNT` report progress; the others
///   are kept as the log tail;
/// - a timeout or a cancellation sends SIGTERM to the whole process group, then SIGKILL after a grace period;
///   and when the command exits, anything it left running in its group is killed.
public struct CommandExecutor: TaskExecutor {
    public let kind = "command"
    /// How long a stopped command may take to exit after SIGTERM before its group gets SIGKILL.
    public var killGracePeriod: Duration
    /// The environment commands start from, before the job's `env:` and the `SHOAL_*` variables.
    public var environment: [String: String]

    public init(
        killGracePeriod: Duration = .seconds(5),
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        self.killGracePeriod = killGracePeriod
        self.environment = environment
    }

    public func run(_ assignment: TaskAssignment, context: TaskContext) async -> TaskResult {
        let spec: CommandTaskSpec
        do {
            spec = try CommandTaskSpec(jsonBytes: assignment.spec.bytes)
        } catch {
            return TaskResult(task: assignment.task, outcome: .failed, error: "invalid command task spec: \(error)")
        }
        // The spec came over the network: a malformed one fails the attempt, never the worker.
        guard !spec.arguments.isEmpty else {
            return TaskResult(task: assignment.task, outcome: .failed, error: "invalid command task spec: no program")
        }
        let attempt = CommandAttempt(
            spec: spec, assignment: assignment, context: context, inheritedEnvironment: environment,
            gracePeriod: killGracePeriod)
        return await attempt.run()
    }
}
