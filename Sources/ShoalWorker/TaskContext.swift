import ShoalProtocol
import Synchronization

/// What a running attempt may use besides its spec: a private scratch directory, and a place to report
/// progress, which the worker forwards to the coordinator in its next HEARTBEAT.
public final class TaskContext: Sendable {
    /// The attempt this context belongs to.
    public let task: TaskRef
    /// A directory only this attempt writes to; removed by the worker after the attempt ends. Outputs that
    /// should be committed are read from here by the executor and returned as the RESULT's outputs. Empty for an
    /// executor that says it uses none (`TaskExecutor.usesScratchDirectory`).
    public let scratchDirectory: String
    /// Where to make bulk output frames (a gradient): in shared memory when the coordinator maps this host's.
    public let frames: BulkFrames

    private let state: Mutex<TaskProgress>

    public init(task: TaskRef, scratchDirectory: String, frames: BulkFrames = .heap) {
        self.task = task
        self.scratchDirectory = scratchDirectory
        self.frames = frames
        self.state = Mutex(TaskProgress(task: task, records: 0, bytes: 0))
    }

    /// Records progress so far. `nil` arguments leave that part as it was; counters are replaced by name.
    public func report(records: UInt64? = nil, bytes: UInt64? = nil, status: String? = nil, counters: [Counter] = []) {
        state.withLock { progress in
            if let records { progress.records = records }
            if let bytes { progress.bytes = bytes }
            if let status { progress.status = status }
            for counter in counters {
                if let index = progress.counters.firstIndex(where: { $0.name == counter.name }) {
                    progress.counters[index] = counter
                } else {
                    progress.counters.append(counter)
                }
            }
        }
    }

    /// Adds `amount` to the counter `name` (e.g. from a `reporter:counter:` line), saturating at Int64's bounds:
    /// the amounts come from the task's own output, and an overflow must not trap the worker.
    public func increment(counter name: String, by amount: Int64) {
        state.withLock { progress in
            if let index = progress.counters.firstIndex(where: { $0.name == name }) {
                let (sum, overflow) = progress.counters[index].value.addingReportingOverflow(amount)
                progress.counters[index].value = overflow ? (amount > 0 ? .max : .min) : sum
            } else {
                progress.counters.append(Counter(name: name, value: amount))
            }
        }
    }

    /// The latest progress, as the next HEARTBEAT reports it.
    public var progress: TaskProgress { state.withLock { $0 } }
}
