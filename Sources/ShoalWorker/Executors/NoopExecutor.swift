import ShoalCore
import ShoalProtocol

/// Runs `noop` tasks: sleeps the spec's `sleep_ms` (returning `.cancelled` at once when cancelled), then
/// succeeds, or fails when the spec says so. Measures the cluster's own overhead; drives retry tests.
public struct NoopExecutor: TaskExecutor {
    public let kind = "noop"

    public init() {}

    public func run(_ assignment: TaskAssignment, context: TaskContext) async -> TaskResult {
        let spec: NoopTaskSpec
        do {
            spec = try NoopTaskSpec(jsonBytes: assignment.spec.bytes)
        } catch {
            return TaskResult(task: assignment.task, outcome: .failed, error: "invalid noop task spec: \(error)")
        }
        do {
            if spec.sleepMs > 0 { try await Task.sleep(for: .milliseconds(spec.sleepMs)) }
            try Task.checkCancellation()
        } catch {
            return TaskResult(task: assignment.task, outcome: .cancelled, error: "cancelled")
        }
        context.report(records: 1)
        if spec.fail {
            return TaskResult(task: assignment.task, outcome: .failed, error: "failed on purpose (fail_shards)")
        }
        return TaskResult(task: assignment.task, outcome: .succeeded, counters: context.progress.counters)
    }
}
