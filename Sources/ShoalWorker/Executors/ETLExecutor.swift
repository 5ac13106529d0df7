import Foundation
import ShoalCore
import ShoalETL
import ShoalProtocol
import Synchronization
import ZeroMQ

/// Runs `etl` tasks: one shard of an ETL job through `ShardRunner`, on a thread of its own — the work is
/// seconds of CPU, which must not occupy Swift's cooperative pool, where the worker's own engine (heartbeats,
/// results) runs. Returns the shard's files (rows, partial aggregate, quarantine, summary) as the RESULT's
/// outputs, which the coordinator commits as `shard-NNNNN/`.
public struct ETLExecutor: TaskExecutor {
    public let kind = "etl"
    public var usesScratchDirectory: Bool { false }

    public init() {}

    public func run(_ assignment: TaskAssignment, context: TaskContext) async -> TaskResult {
        let cancelled = CancelFlag()
        let bytes = assignment.spec.bytes
        let outcome: Result<ShardRunner.Result, ShardRunner.Failure> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let thread = Thread {
                    continuation.resume(returning: Self.runShard(bytes, context: context, cancelled: cancelled))
                }
                thread.name = "shoal-etl-\(assignment.task.taskID)"
                thread.stackSize = 4 << 20
                thread.start()
            }
        } onCancel: {
            cancelled.set()
        }
        switch outcome {
        case .success(let result):
            let summary = result.summary
            return TaskResult(
                task: assignment.task, outcome: .succeeded, counters: Self.counters(summary),
                outputs: result.files.map { NamedFrame(name: $0.name, frame: Frame($0.bytes)) })
        case .failure(let failure):
            if cancelled.isSet { return TaskResult(task: assignment.task, outcome: .cancelled, error: "cancelled") }
            return TaskResult(task: assignment.task, outcome: .failed, error: failure.description)
        }
    }

    static func runShard(_ bytes: [UInt8], context: TaskContext, cancelled: CancelFlag) -> Result<ShardRunner.Result, ShardRunner.Failure> {
        do {
            let spec: ETLTaskSpec
            do { spec = try ETLTaskSpec.decode(bytes) } catch {
                throw ShardRunner.Failure(description: "invalid etl task spec: \(error)")
            }
            let runner = try ShardRunner(spec: spec)
            let result = try runner.run(
                progress: { records, bytes in context.report(records: UInt64(records), bytes: UInt64(bytes)) },
                isCancelled: { cancelled.isSet })
            return .success(result)
        } catch let failure as ShardRunner.Failure {
            return .failure(failure)
        } catch {
            return .failure(ShardRunner.Failure(description: "\(error)"))
        }
    }

    /// The shard's totals as counters, which the coordinator sums per job for `shoal status`.
    static func counters(_ summary: ShardSummary) -> [Counter] {
        var counters = [
            Counter(name: "rows_in", value: summary.rowsIn), Counter(name: "rows_out", value: summary.rowsOut),
            Counter(name: "bytes_read", value: summary.bytesRead), Counter(name: "bytes_written", value: summary.bytesWritten),
            Counter(name: "bad_rows", value: summary.badRowCount),
        ]
        if summary.castFailures > 0 { counters.append(Counter(name: "cast_failures", value: summary.castFailures)) }
        return counters
    }

    final class CancelFlag: Sendable {
        private let flag = Atomic<Bool>(false)
        func set() { flag.store(true, ordering: .relaxed) }
        var isSet: Bool { flag.load(ordering: .relaxed) }
    }
}
