import ShoalProtocol

extension Scheduler {
    /// The clock moved: declares silent workers dead, kills hung and timed-out attempts, and speculates on
    /// stragglers once nothing is queued. Call it every heartbeat interval or so, then `dispatch`.
    public mutating func tick(now: ContinuousClock.Instant) -> [SchedulerDirective] {
        var directives: [SchedulerDirective] = []
        for workerID in workerOrder {
            guard let worker = workers[workerID],
                  worker.lastSeen.duration(to: now) > configuration.heartbeatTimeout else { continue }
            directives += declareDead(workerID, now: now)
        }
        directives += killStuckAttempts(now: now)
        directives += speculate(now: now)
        return directives
    }

    /// A worker silent past the heartbeat timeout is dead: every attempt it held is lost and goes back to the
    /// queue (a new attempt number each); anything it says later is fenced off.
    mutating func declareDead(_ workerID: WorkerID, now: ContinuousClock.Instant) -> [SchedulerDirective] {
        guard let worker = workers[workerID] else { return [] }
        var directives: [SchedulerDirective] = []
        let silence = worker.lastSeen.duration(to: now)
        for attempt in worker.attempts.keys.sorted(by: Self.attemptOrder) {
            directives += endAttempt(
                attempt, on: workerID, as: .lost,
                error: "worker \(workerID) sent nothing for \(silence.formattedSeconds) (heartbeat timeout)", now: now)
        }
        removeWorker(workerID)
        directives.append(.workerLeft(workerID, reason: "no heartbeat for \(silence.formattedSeconds)"))
        return directives
    }

    /// Attempts whose progress has not moved for their job's hang timeout, or that ran past its timeout, are
    /// cancelled on their worker and retried elsewhere.
    mutating func killStuckAttempts(now: ContinuousClock.Instant) -> [SchedulerDirective] {
        var stuck: [(TaskRef, WorkerID, AttemptEnding, String)] = []
        for attempt in liveAttempts() {
            guard let job = jobs[attempt.job] else { continue }
            let (ref, live) = (attempt.ref, attempt.live)
            if let timeout = job.descriptor.timeout, live.startedAt.duration(to: now) > timeout {
                stuck.append((ref, live.worker, .timedOut, "ran longer than the job's timeout of \(timeout.formattedSeconds)"))
            } else if live.lastProgressAt.duration(to: now) > job.descriptor.hangTimeout {
                stuck.append((ref, live.worker, .hung,
                              "no progress for \(live.lastProgressAt.duration(to: now).formattedSeconds) "
                              + "(hang timeout \(job.descriptor.hangTimeout.formattedSeconds)); killed"))
            }
        }
        var directives: [SchedulerDirective] = []
        for (ref, workerID, ending, reason) in stuck.sorted(by: { Self.attemptOrder($0.0, $1.0) }) {
            // The attempt keeps its slot until the worker confirms it stopped; the task moves on now.
            guard var task = tasks[ref.taskID], let live = task.live.removeValue(forKey: ref.attempt) else { continue }
            tasks[ref.taskID] = task
            directives.append(.cancel(worker: workerID, attempts: [ref], reason: reason))
            directives += afterAttempt(ref.taskID, record: AttemptRecord(
                task: ref, job: task.job, worker: workerID, ending: ending, error: reason,
                runtime: live.startedAt.duration(to: now)))
        }
        return directives
    }

    /// When nothing is queued and a worker is idle, starts a copy of each straggler: a task running longer than
    /// `speculationFactor` × the median runtime of its job's finished tasks (and than the minimum runtime). The
    /// first copy to commit wins; the other is cancelled (`committed`).
    mutating func speculate(now: ContinuousClock.Instant) -> [SchedulerDirective] {
        guard !jobs.values.contains(where: { !$0.queue.isEmpty }),
              workers.values.contains(where: { $0.credit > 0 }) else { return [] }
        var directives = startBackups(now: now)
        guard configuration.speculationFactor > 0 else { return directives }
        for job in jobs.values.sorted(by: { $0.id < $1.id })
        where job.state == .running && job.descriptor.speculation
            && job.runtimes.total >= configuration.speculationMinimumSamples
        {
            guard let median = job.runtimes.median else { continue }
            let threshold = max(median * configuration.speculationFactor, configuration.speculationMinimumRuntime)
            let stragglers = liveAttempts(of: job.id).compactMap { attempt -> TaskEntry? in
                guard attempt.live.startedAt.duration(to: now) > threshold, let task = tasks[attempt.ref.taskID],
                      !task.speculated, task.live.count == 1 else { return nil }
                return task
            }.sorted { $0.id < $1.id }
            for straggler in stragglers {
                guard let holder = straggler.live.first?.value.worker,
                      let workerID = workerOrder.first(where: { id in
                          guard let worker = workers[id] else { return false }
                          return id != holder && worker.credit > 0 && worker.kinds.contains(job.descriptor.kind)
                      })
                else { break }
                let start = lease(straggler.id, job: job.descriptor, to: workerID, now: now, speculative: true)
                directives.append(.start(worker: workerID, attempts: [start]))
            }
        }
        return directives
    }
}

extension Scheduler {
    /// Backup copies (`PlannedTask.backups`): for each job whose running tasks allow backups, copies of the
    /// longest-running ones on idle workers, up to the allowance (copies already running count against it).
    mutating func startBackups(now: ContinuousClock.Instant) -> [SchedulerDirective] {
        var directives: [SchedulerDirective] = []
        for job in jobs.values.sorted(by: { $0.id < $1.id }) where job.state == .running {
            let running = liveAttempts(of: job.id).compactMap { attempt in
                tasks[attempt.ref.taskID].map { (task: $0, startedAt: attempt.live.startedAt) }
            }
            guard let allowance = running.map(\.task.backups).max(), allowance > 0 else { continue }
            var available = allowance - Set(running.filter { $0.task.live.count > 1 }.map(\.task.id)).count
            let candidates = running.filter { !$0.task.speculated && $0.task.live.count == 1 }
                .sorted { ($0.startedAt, $0.task.id) < ($1.startedAt, $1.task.id) }
            for candidate in candidates where available > 0 {
                guard let holder = candidate.task.live.first?.value.worker,
                      let workerID = workerOrder.first(where: { id in
                          guard let worker = workers[id] else { return false }
                          return id != holder && worker.credit > 0 && worker.kinds.contains(job.descriptor.kind)
                      })
                else { break }
                let start = lease(candidate.task.id, job: job.descriptor, to: workerID, now: now, speculative: true)
                directives.append(.start(worker: workerID, attempts: [start]))
                available -= 1
            }
        }
        return directives
    }
}

/// A live attempt of a running task, as `Scheduler.liveAttempts` finds it.
struct LiveAttemptView {
    let ref: TaskRef
    let job: JobID
    let label: String
    let live: LiveAttempt
}

extension Scheduler {
    /// Every live attempt of a running task (of `job`, if given), found through the workers holding them: the
    /// cost is the number of running attempts, not of tasks, so a million-task job ticks as cheaply as a small
    /// one. In no particular order: callers sort what they keep (`shoal status` polls this with thousands of
    /// attempts running).
    func liveAttempts(of job: JobID? = nil) -> [LiveAttemptView] {
        var found: [LiveAttemptView] = []
        forEachLiveAttempt(of: job) { ref, position in
            guard let live = tasks[at: position].live[ref.attempt] else { return }
            found.append(LiveAttemptView(ref: ref, job: tasks[at: position].job, label: tasks[at: position].label, live: live))
        }
        return found
    }

    /// `liveAttempts` without building its views or copying the attempts: `body` gets each attempt and its
    /// task's position in `tasks`, and reads what it needs there (`tasks[at:].live`).
    func forEachLiveAttempt(of job: JobID? = nil, _ body: (TaskRef, Int) -> Void) {
        for position in workers.indices {
            let workerID = workers[at: position].id
            for ref in workers[at: position].attempts.keys {
                guard let index = tasks.position(of: ref.taskID), tasks[at: index].state == .running,
                      job == nil || tasks[at: index].job == job,
                      tasks[at: index].live.startedAt(ref.attempt, on: workerID) != nil else { continue }
                body(ref, index)
            }
        }
    }
}

extension Duration {
    /// "2.5 s"-style text for messages.
    var formattedSeconds: String {
        let seconds = Double(components.seconds) + Double(components.attoseconds) / 1e18
        return seconds < 10 ? "\((seconds * 10).rounded() / 10) s" : "\(Int(seconds.rounded())) s"
    }
}
