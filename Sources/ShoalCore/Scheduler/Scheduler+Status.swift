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
        var records: UInt64 = 0
        var bytes = job.committedBytes
        // `shoal submit --wait` polls this while thousands of attempts run: the `limit` oldest are picked in one
        // pass (sorting them all was most of a poll's cost), and only they are built (labels, worker names).
        var oldest: [(startedAt: ContinuousClock.Instant, ref: TaskRef, position: Int)] = []
        oldest.reserveCapacity(limit + 1)
        forEachLiveAttempt(of: jobID) { ref, position in
            // Its fields read where they lie: a copy of the attempt retained its strings, for each of thousands.
            guard let (startedAt, done, read) = tasks[at: position].live.counts(ref.attempt) else { return }
            records &+= done
            bytes &+= read
            // The progress events ask for counts only (limit 0), every second, with thousands running.
            guard limit > 0 else { return }
            let key = (startedAt, ref.taskID)
            if oldest.count == limit, let last = oldest.last, key >= (last.startedAt, last.ref.taskID) { return }
            let at = oldest.firstIndex { key < ($0.startedAt, $0.ref.taskID) } ?? oldest.endIndex
            oldest.insert((startedAt, ref, position), at: at)
            if oldest.count > limit { oldest.removeLast() }
        }
        let running = oldest.compactMap { attempt -> RunningAttempt? in
            let task = attempt.position
            guard let live = tasks[at: task].live[attempt.ref.attempt] else { return nil }
            return RunningAttempt(
                task: attempt.ref.taskID, attempt: attempt.ref.attempt, label: tasks[at: task].label,
                worker: live.worker, seconds: attempt.startedAt.duration(to: now).seconds,
                records: live.progress.records, bytes: live.progress.bytes, status: live.progress.status,
                speculative: live.speculative)
        }
        return LiveJobStatus(
            state: job.state, counts: job.counts, retries: job.retries, records: records, bytes: bytes,
            running: running)
    }

    /// The registered workers, in registration order.
    public func workerStatuses(now: ContinuousClock.Instant) -> [WorkerStatus] {
        workerOrder.compactMap { id in
            guard let worker = workers[id], worker.registered else { return nil }
            var status = WorkerStatus(
                id: id, host: worker.info?.host ?? "", pid: worker.info?.pid ?? 0, slots: worker.slots,
                running: worker.attempts.count, kinds: worker.kinds.sorted(), draining: worker.draining,
                lastSeen: worker.lastSeen.duration(to: now).seconds)
            status.unreachable = worker.unreachable ? true : nil
            return status
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
