import ShoalProtocol
import ZeroMQ

extension Scheduler {
    /// Hands queued tasks to workers with free credit: one per worker per round, so a few tasks spread over many
    /// workers, and each worker's share leaves in one TASK message.
    ///
    /// Which job goes next (`docs/architecture.md`, "Fair share"): the highest priority with queued tasks; among
    /// equal priorities the job with the fewest running attempts, then the oldest. So equal jobs share the
    /// workers evenly, and a job submitted later is not starved by an earlier large one.
    public mutating func dispatch(now: ContinuousClock.Instant) -> [SchedulerDirective] {
        guard !workerOrder.isEmpty, jobs.values.contains(where: { !$0.queue.isEmpty }) else { return [] }
        var batches: [WorkerID: [AttemptStart]] = [:]
        var order: [WorkerID] = []
        let count = workerOrder.count
        dispatchOffset = (dispatchOffset + 1) % count
        let rotated = (0..<count).map { workerOrder[($0 + dispatchOffset) % count] }
        var active = rotated.filter { (workers[$0]?.credit ?? 0) > 0 }
        while !active.isEmpty {
            var stillActive: [WorkerID] = []
            for workerID in active {
                // No copy of the entry is held across `startAttempt`: it would make the insert into the
                // worker's attempt set copy the whole set.
                guard let kinds = workers[workerID].map(\.kinds), (workers[workerID]?.credit ?? 0) > 0,
                      let jobID = nextJob(for: kinds),
                      let start = startAttempt(of: jobID, on: workerID, now: now, speculative: false)
                        ?? otherJobsStart(for: kinds, after: jobID, on: workerID, now: now)
                else { continue }
                if batches[workerID] == nil { order.append(workerID) }
                batches[workerID, default: []].append(start)
                if (workers[workerID]?.credit ?? 0) > 0 { stillActive.append(workerID) }
            }
            active = stillActive
        }
        return order.map { .start(worker: $0, attempts: batches[$0] ?? []) }
    }

    /// When the best job's queued tasks are all reserved for other workers (affinity): the next jobs in the
    /// same order, until one has a task for this worker.
    mutating func otherJobsStart(for kinds: Set<String>, after skipped: JobID, on workerID: WorkerID, now: ContinuousClock.Instant)
        -> AttemptStart?
    {
        let others = jobs.values.filter {
            $0.id != skipped && !$0.queue.isEmpty && !$0.state.isTerminal && kinds.contains($0.descriptor.kind)
        }.sorted(by: Self.ranks).map(\.id)
        for job in others {
            if let start = startAttempt(of: job, on: workerID, now: now, speculative: false) { return start }
        }
        return nil
    }

    /// The job whose queued task a worker running `kinds` should run next, or `nil` when none is queued.
    func nextJob(for kinds: Set<String>) -> JobID? {
        var best: JobEntry?
        for job in jobs.values where !job.queue.isEmpty && !job.state.isTerminal
            && kinds.contains(job.descriptor.kind)
        {
            if best.map({ Self.ranks(job, before: $0) }) ?? true { best = job }
        }
        return best?.id
    }

    /// Fair share's order: higher priority, then fewer running attempts, then the older job.
    static func ranks(_ a: JobEntry, before b: JobEntry) -> Bool {
        (a.descriptor.priority, -a.counts.running, -Int(truncatingIfNeeded: a.id))
            > (b.descriptor.priority, -b.counts.running, -Int(truncatingIfNeeded: b.id))
    }

    /// Leases the next queued task of `jobID` to `workerID` under a new attempt number; nil when every queued
    /// task has an affinity reserved for another worker.
    ///
    /// Affinity (`PlannedTask.affinity`): a worker takes first a task whose affinity it owns (it ran one before),
    /// then one whose affinity has no owner, or an owner that is gone or has no free credit (it is busy: the
    /// task moves, and so does the affinity), and otherwise leaves the tasks to their owners.
    mutating func startAttempt(of jobID: JobID, on workerID: WorkerID, now: ContinuousClock.Instant, speculative: Bool)
        -> AttemptStart?
    {
        // Taken out and put back: changing a copy while the dictionary still holds the entry would copy the
        // whole queue on every start.
        var job = jobs.removeValue(forKey: jobID)!  // callers pass a job with a queued task
        let picked: TaskID?
        if !job.hasAffinity {
            picked = job.queue.popFirst()
        } else {
            let owners = job.affinityOwners
            picked =
                job.queue.popFirst { tasks[$0]?.affinity.map { owners[$0] == workerID } ?? false }
                ?? job.queue.popFirst { id in
                    guard let key = tasks[id]?.affinity, let owner = owners[key], owner != workerID else { return true }
                    return (workers[owner]?.credit ?? 0) == 0
                }
        }
        guard let taskID = picked else {
            jobs[jobID] = job
            return nil
        }
        if let key = tasks[taskID]?.affinity { job.affinityOwners[key] = workerID }
        job.counts.queued -= 1
        job.counts.running += 1
        if job.state == .queued { job.state = .running }
        jobs[jobID] = job
        return lease(taskID, job: job, to: workerID, now: now, speculative: speculative)
    }

    /// Records a new attempt of `taskID` on `workerID` and describes it for the TASK message.
    mutating func lease(
        _ taskID: TaskID, job: JobEntry, to workerID: WorkerID, now: ContinuousClock.Instant, speculative: Bool
    ) -> AttemptStart {
        var task = tasks[taskID]!
        task.lastAttempt += 1
        task.state = .running
        if speculative { task.speculated = true }
        let ref = TaskRef(taskID: taskID, attempt: task.lastAttempt)
        task.live[ref.attempt] = LiveAttempt(worker: workerID, startedAt: now, now: now, speculative: speculative)
        tasks[taskID] = task
        workers[workerID]?.attempts.insert(ref)
        workers[workerID]?.leasedSinceHello.insert(ref)
        let timeoutMs = job.descriptor.timeout.map { UInt32(clamping: $0.milliseconds) } ?? 0
        return AttemptStart(
            task: ref, job: job.id, kind: job.descriptor.kind, timeoutMs: timeoutMs, spec: task.spec,
            attachments: task.attachments, speculative: speculative)
    }
}

extension Duration {
    /// Whole milliseconds, rounded down.
    public var milliseconds: Int64 {
        components.seconds * 1_000 + components.attoseconds / 1_000_000_000_000_000
    }
}
