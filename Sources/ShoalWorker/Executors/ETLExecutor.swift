import Foundation
import ShoalCore
import ShoalETL
import ShoalProtocol
import Synchronization
import ZeroMQ

/// Runs `etl` tasks: one shard of an ETL job through `ShardRunner`, on a thread of its own — the work is
/// seconds of CPU, which must not occupy Swift's cooperative pool, where the worker's own engine (heartbeats,
/// results) runs. The shard's files (rows, partial aggregate, quarantine, summary) become the RESULT's outputs,
/// which the coordinator commits as `shard-NNNNN/` — or, when this worker sees the job's output directory as
/// the coordinator does (its probe file is there: same host or a shared filesystem), the worker writes them into
/// the attempt's staging directory itself and sends only their list (`StagedOutputs`), so that the shard's bytes
/// are neither sent nor copied again by the coordinator. `SHOAL_STAGE_OUTPUTS=0` in the worker's environment
/// always sends them.
public struct ETLExecutor: TaskExecutor {
    public let kind = "etl"
    public var usesScratchDirectory: Bool { false }

    public init() {}

    public func run(_ assignment: TaskAssignment, context: TaskContext) async -> TaskResult {
        let cancelled = CancelFlag()
        let bytes = assignment.spec.bytes
        let task = assignment.task
        let outcome: Result<Produced, ShardRunner.Failure> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let thread = Thread {
                    continuation.resume(returning: Self.runShard(bytes, task: task, context: context, cancelled: cancelled))
                }
                thread.name = "shoal-etl-\(assignment.task.taskID)"
                thread.stackSize = 4 << 20
                thread.start()
            }
        } onCancel: {
            cancelled.set()
        }
        switch outcome {
        case .success(let produced):
            var counters = Self.counters(produced.result.summary)
            let outputs: [NamedFrame]
            if let staged = produced.staged {
                counters.append(Counter(name: "bytes_staged", value: Int64(staged.files.reduce(0) { $0 + $1.bytes })))
                outputs = [NamedFrame(name: StagedOutputs.name, frame: Frame(staged.bytes))]
            } else {
                outputs = produced.result.files.map { NamedFrame(name: $0.name, frame: Frame($0.bytes)) }
            }
            return TaskResult(task: assignment.task, outcome: .succeeded, counters: counters, outputs: outputs)
        case .failure(let failure):
            if cancelled.isSet { return TaskResult(task: assignment.task, outcome: .cancelled, error: "cancelled") }
            return TaskResult(task: assignment.task, outcome: .failed, error: failure.description)
        }
    }

    /// A shard's result, and the list of its files if they were written into the staging directory.
    struct Produced: Sendable {
        var result: ShardRunner.Result
        var staged: StagedOutputs?
    }

    static func runShard(
        _ bytes: [UInt8], task: TaskRef, context: TaskContext, cancelled: CancelFlag
    ) -> Result<Produced, ShardRunner.Failure> {
        do {
            let spec: ETLTaskSpec
            do { spec = try ETLTaskSpec.decode(bytes) } catch {
                throw ShardRunner.Failure(description: "invalid etl task spec: \(error)")
            }
            let runner = try ShardRunner(spec: spec)
            let result = try runner.run(
                progress: { records, bytes in context.report(records: UInt64(records), bytes: UInt64(bytes)) },
                isCancelled: { cancelled.isSet })
            let staged = spec.staging.flatMap { stage(result.files, task: task, in: $0) }
            return .success(Produced(result: result, staged: staged))
        } catch let failure as ShardRunner.Failure {
            return .failure(failure)
        } catch {
            return .failure(ShardRunner.Failure(description: "\(error)"))
        }
    }

    /// Writes `files` into the attempt's staging directory under `staging.directory` when its probe is there,
    /// each synced to disk; returns their list, or nil to send them (no probe, staging switched off, or a write
    /// failed — what was written is removed).
    static func stage(_ files: [(name: String, bytes: [UInt8])], task: TaskRef, in staging: OutputStaging) -> StagedOutputs? {
        guard ProcessInfo.processInfo.environment["SHOAL_STAGE_OUTPUTS"] != "0" else { return nil }
        let probe = (OutputPaths.staging(staging.directory) as NSString).appendingPathComponent(staging.probe)
        guard access(probe, F_OK) == 0 else { return nil }
        let directory = OutputPaths.attempt(staging.directory, taskID: task.taskID, attempt: task.attempt)
        do {
            if access(directory, F_OK) == 0 { try FileManager.default.removeItem(atPath: directory) }
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            for file in files {
                guard let path = OutputPaths.output(file.name, in: directory) else { throw StagingError() }
                if file.name.contains("/") {
                    try FileManager.default.createDirectory(
                        atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                }
                try file.bytes.withUnsafeBytes { buffer in
                    try SyncedFile.write(buffer, to: path, sync: true)
                }
            }
            guard SyncedFile.syncDirectory(directory) else { throw StagingError() }
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            return nil
        }
        return StagedOutputs(files: files.map { ($0.name, $0.bytes.count) })
    }

    private struct StagingError: Error {}

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
