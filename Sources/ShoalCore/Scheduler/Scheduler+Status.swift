import ShoalProtocol

/// What the scheduler knows live about a job, for `shoal status`.
public struct LiveJobStatus: Sendable, Equatable {
    public var state: JobState
    public var counts: TaskCounts
    public var retries: Int
    public var records: UInt64
    /// Bytes read so far: the inputs of committed tasks plus what running attempts report.
    public var bytes: UInt64
    public var running: [RunningAttempt]
}

extension Scheduler {
    /// A job's live counts and running attempts (the longest-running first, at most `limit`), or `nil` for a
    /// job the scheduler does not hold (finished and forgotten, or unknown).
    public func liveStatus(of jobID: JobID, now: ContinuousClock.Instant, limit: Int = 20) -> LiveJobStatus? {
        guard let job = jobs[jobID] else { return nil }
        var running: [RunningAttempt] = []
        var records: UInt64 = 0
        var bytes = job.committedBytes
        for attempt in liveAttempts(of: jobID) {
            let live = attempt.live
            records &+= live.progress.records
            bytes &+= live.progress.bytes
            // The progress events ask for counts only (limit 0), every second, with thousands running.
            guard limit > 0 else { continue }
            running.append(RunningAttempt(
                task: attempt.ref.taskID, attempt: attempt.ref.attempt, label: attempt.label, worker: live.worker,
                seconds: live.startedAt.duration(to: now).seconds, records: live.progress.records,
                bytes: live.progress.bytes, status: live.progress.status, speculative: live.speculative))
        }
        running.sort { ($0.seconds, $1.task) > ($1.seconds, $0.task) }
        return LiveJobStatus(
            state: job.state, counts: job.counts, retries: job.retries, records: records, bytes: bytes,
            running: Array(running.prefix(limit)))
    }

    /// The registered workers, in registration order.
    public func workerStatuses(now: ContinuousClock.Instant) -> [WorkerStatus] {
        workerOrder.compactMap { id in
            guard let worker = workers[id], worker.registered else { return nil }
            return WorkerStatus(
                id: id, host: worker.info?.host ?? "", pid: worker.info?.pid ?? 0, slots: worker.slots,
                running: worker.attempts.count, kinds: worker.kinds.sorted(), draining: worker.draining,
                lastSeen: worker.lastSeen.duration(to: now).seconds)
        }
    }

    /// A task's state as the scheduler holds it (the store writes `running` only as attempt rows).
    public func state(ofTask id: TaskID) -> TaskState? { tasks[id]?.state }

    /// Jobs the scheduler holds that are not finished.
    public var activeJobs: [JobID] { jobs.values.filter { !$0.state.isTerminal }.map(\.id).sorted() }
}

extension Duration {
    /// The duration in seconds, as a `Double`.
    public var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
