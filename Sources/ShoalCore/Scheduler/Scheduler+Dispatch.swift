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
        dispatch(now: now, limit: .max).directives
    }

    /// `dispatch`, with at most `limit` starts per worker. `more` says that some worker stopped at the limit with
    /// credit left while tasks were still queued: another dispatch would start more.
    ///
    /// The coordinator dispatches a few hundred at a time and comes back for the rest at once
    /// (`CoordinatorEngine.dispatchChunk`): a new job's first thousands of leases, decided, stored and encoded as
    /// one batch, kept the workers idle until the last of them was written.
    public mutating func dispatch(now: ContinuousClock.Instant, limit: Int) -> (directives: [SchedulerDirective], more: Bool) {
        guard !workerOrder.isEmpty, jobs.values.contains(where: { !$0.queue.isEmpty }) else { return ([], false) }
        let count = workerOrder.count
        dispatchOffset = (dispatchOffset + 1) % count
        // Each worker with credit, in the rotated order, with the starts it gets; by its position in `workers`
        // (no entry is removed during a dispatch), its credit counted down here, and the jobs whose kind it runs
        // found once: by its name, or through its kinds (a set of strings), each task hashed a string or three.
        // (Jobs by id, not position: a job with affinity is taken out and put back as it leases, which moves it.)
        var batches: [(worker: WorkerID, at: Int, kinds: Set<String>, jobs: [JobID], credit: Int, starts: [AttemptStart])] = []
        let candidates = jobs.indices.filter { !jobs[at: $0].queue.isEmpty && !jobs[at: $0].state.isTerminal }
        let queued = candidates.reduce(0) { $0 + jobs[at: $1].queue.count }
        for offset in 0..<count {
            let workerID = workerOrder[(offset + dispatchOffset) % count]
            guard let index = workers.position(of: workerID), workers[at: index].credit > 0 else { continue }
            let (credit, kinds) = (min(workers[at: index].credit, limit), workers[at: index].kinds)
            var starts: [AttemptStart] = []
            starts.reserveCapacity(min(credit, queued))  // grown a step at a time, it showed
            let runnable = candidates.compactMap { kinds.contains(jobs[at: $0].descriptor.kind) ? jobs[at: $0].id : nil }
            batches.append((workerID, index, kinds, runnable, credit, starts))
        }
        var active = Array(batches.indices)
        while !active.isEmpty {
            var stillActive: [Int] = []
            for position in active {
                let (workerID, workerAt, kinds) = (batches[position].worker, batches[position].at, batches[position].kinds)
                guard let jobID = nextJob(among: batches[position].jobs),
                      let start = startAttempt(of: jobID, on: workerID, at: workerAt, now: now, speculative: false)
                        ?? otherJobsStart(for: kinds, after: jobID, on: workerID, now: now)
                else { continue }
                batches[position].starts.append(start)
                // Every start leases one attempt to this worker: one credit less.
                batches[position].credit -= 1
                if batches[position].credit > 0 { stillActive.append(position) }
            }
            active = stillActive
        }
        let directives = batches.compactMap {
            $0.starts.isEmpty ? nil : SchedulerDirective.start(worker: $0.worker, attempts: $0.starts)
        }
        let more = batches.contains { batch in
            batch.starts.count == limit && workers[at: batch.at].credit > 0
                && batch.jobs.contains { jobs.position(of: $0).map { !jobs[at: $0].queue.isEmpty } ?? false }
        }
        return (directives, more)
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

    /// Of the jobs `candidates` (those whose kind a worker runs), the one whose queued task it should run next, or
    /// `nil` when none has one queued.
    func nextJob(among candidates: [JobID]) -> JobID? {
        // Called for every task handed out: the entries are read where they lie, by their rank's fields only (a
        // copy of each job's entry per task showed in `perf`).
        var best: (rank: (Int, Int, Int), id: JobID)?
        for id in candidates {
            guard let position = jobs.position(of: id), !jobs[at: position].queue.isEmpty,
                  !jobs[at: position].state.isTerminal else { continue }
            let rank = Self.rank(jobs[at: position])
            if best.map({ rank > $0.rank }) ?? true { best = (rank, jobs[at: position].id) }
        }
        return best?.id
    }

    /// Fair share's order, highest first: higher priority, then fewer running attempts, then the older job.
    static func rank(_ job: JobEntry) -> (Int, Int, Int) {
        (job.descriptor.priority, -job.counts.running, -Int(truncatingIfNeeded: job.id))
    }

    static func ranks(_ a: JobEntry, before b: JobEntry) -> Bool { rank(a) > rank(b) }

    /// Leases the next queued task of `jobID` to `workerID` under a new attempt number; nil when every queued
    /// task has an affinity reserved for another worker.
    ///
    /// Affinity (`PlannedTask.affinity`): a worker takes first a task whose affinity it owns (it ran one before),
    /// then one whose affinity has no owner, or an owner that is gone or has no free credit (it is busy: the
    /// task moves, and so does the affinity), and otherwise leaves the tasks to their owners.
    /// - Parameter workerPosition: where `workerID`'s entry lies in `workers`, when the caller knows.
    mutating func startAttempt(
        of jobID: JobID, on workerID: WorkerID, at workerPosition: Int? = nil, now: ContinuousClock.Instant,
        speculative: Bool
    ) -> AttemptStart? {
        guard let jobIndex = jobs.position(of: jobID) else { return nil }
        if !jobs[at: jobIndex].hasAffinity {
            // The common case, changed in place: no copy of the job's entry (and of its queue) per task, nor of
            // its descriptor (its strings).
            guard let taskID = jobs[at: jobIndex].queue.popFirst() else { return nil }
            jobs[at: jobIndex].counts.queued -= 1
            jobs[at: jobIndex].counts.running += 1
            if jobs[at: jobIndex].state == .queued { jobs[at: jobIndex].state = .running }
            return lease(
                taskID, job: jobID, kind: jobs[at: jobIndex].descriptor.kind,
                timeoutMs: jobs[at: jobIndex].descriptor.timeoutMs, to: workerID, at: workerPosition, now: now,
                speculative: speculative)
        }
        // Taken out and put back: changing a copy while the dictionary still holds the entry would copy the
        // whole queue on every start.
        var job = jobs.removeValue(forKey: jobID)!
        let owners = job.affinityOwners
        let picked =
            job.queue.popFirst { tasks[$0]?.affinity.map { owners[$0] == workerID } ?? false }
            ?? job.queue.popFirst { id in
                guard let key = tasks[id]?.affinity, let owner = owners[key], owner != workerID else { return true }
                return (workers[owner]?.credit ?? 0) == 0
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
        return lease(taskID, job: job.descriptor, to: workerID, now: now, speculative: speculative)
    }

    /// Records a new attempt of `taskID` on `workerID` and describes it for the TASK message.
    mutating func lease(
        _ taskID: TaskID, job: JobDescriptor, to workerID: WorkerID, now: ContinuousClock.Instant, speculative: Bool
    ) -> AttemptStart {
        lease(taskID, job: job.id, kind: job.kind, timeoutMs: job.timeoutMs, to: workerID, now: now,
              speculative: speculative)
    }

    /// `lease`, with the job's fields it needs; `workerPosition` is where `workerID`'s entry lies, when known.
    mutating func lease(
        _ taskID: TaskID, job: JobID, kind: String, timeoutMs: UInt32, to workerID: WorkerID,
        at workerPosition: Int? = nil, now: ContinuousClock.Instant, speculative: Bool
    ) -> AttemptStart {
        // In place (`result` says why).
        let index = tasks.position(of: taskID)!
        let ref = tasks[at: index].startAttempt(on: workerID, now: now, speculative: speculative)
        if let worker = workerPosition ?? workers.position(of: workerID) {
            workers[at: worker].leases += 1
            workers[at: worker].attempts[ref] = workers[at: worker].leases
        }
        return AttemptStart(
            task: ref, job: job, kind: kind, timeoutMs: timeoutMs, spec: tasks[at: index].spec,
            attachments: tasks[at: index].attachments, speculative: speculative)
    }
}

extension Duration {
    /// Whole milliseconds, rounded down.
    public var milliseconds: Int64 {
        components.seconds * 1_000 + components.attoseconds / 1_000_000_000_000_000
    }
}
