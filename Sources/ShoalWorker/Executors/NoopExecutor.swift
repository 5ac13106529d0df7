import ShoalCore
import ShoalProtocol
import Synchronization

/// Runs `noop` tasks: sleeps the spec's `sleep_ms` (returning `.cancelled` at once when cancelled), then
/// succeeds, or fails when the spec says so. Measures the cluster's own overhead; drives retry tests.
public struct NoopExecutor: TaskExecutor {
    public let kind = "noop"
    public var usesScratchDirectory: Bool { false }
    /// The last spec decoded: every task of a `noop` job shares one, and decoding JSON for each of 100,000
    /// tasks a second would cost more than the rest of the worker.
    private let lastSpec = LastSpec()

    public init() {}

    /// A task that does not sleep ends at once, on the worker's engine.
    public func immediateResult(of assignment: TaskAssignment) -> TaskResult? {
        let spec: NoopTaskSpec
        do {
            spec = try decode(assignment.spec.bytes)
        } catch {
            return TaskResult(task: assignment.task, outcome: .failed, error: "invalid noop task spec: \(error)")
        }
        guard spec.sleepMs == 0 else { return nil }
        return result(of: assignment, spec, counters: [])
    }

    public func run(_ assignment: TaskAssignment, context: TaskContext) async -> TaskResult {
        let spec: NoopTaskSpec
        do {
            spec = try decode(assignment.spec.bytes)
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
        return result(of: assignment, spec, counters: context.progress.counters)
    }

    private func result(of assignment: TaskAssignment, _ spec: NoopTaskSpec, counters: [Counter]) -> TaskResult {
        if spec.fail {
            return TaskResult(task: assignment.task, outcome: .failed, error: "failed on purpose (fail_shards)")
        }
        return TaskResult(task: assignment.task, outcome: .succeeded, counters: counters)
    }

    private func decode(_ bytes: [UInt8]) throws -> NoopTaskSpec {
        if let cached = lastSpec.value.withLock({ $0 }), cached.bytes == bytes { return cached.spec }
        let spec = try NoopTaskSpec(jsonBytes: bytes)
        lastSpec.value.withLock { $0 = (bytes, spec) }
        return spec
    }

    private final class LastSpec: Sendable {
        let value = Mutex<(bytes: [UInt8], spec: NoopTaskSpec)?>(nil)
    }
}
