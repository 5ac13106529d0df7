import ShoalProtocol
import ZeroMQ

/// The coordinator's brain, without I/O: jobs, tasks, workers, leases and retries as a state machine.
///
/// Each event (a job submitted, a worker registered, a heartbeat, a result, a clock tick) updates the state and
/// returns `SchedulerDirective`s, which the coordinator's shell carries out in order — persist first, then send.
/// Nothing here touches a socket, a file or a clock: time comes in as `now`, so every rule (heartbeat
/// timeout, hang detection, speculation) is unit-tested with a fake clock.
///
/// Invariants:
/// - A worker never holds more attempts than its slots (its credit); an attempt being cancelled still holds its
///   slot until its RESULT arrives or the worker is declared dead.
/// - A result counts only if its (task, attempt) is a live, uncancelled attempt of that task on that worker
///   (fencing). A task commits at most once.
/// - Attempt numbers only grow, across restarts too (`TaskDescriptor.lastAttempt`).
public struct Scheduler: Sendable {
    /// The policies that are the cluster's, not a job's.
    public struct Configuration: Sendable, Equatable {
        public var heartbeatTimeout: Duration
        /// 0 disables speculation.
        public var speculationFactor: Double
        public var speculationMinimumRuntime: Duration
        /// Finished-task runtimes needed before a job's median is trusted for speculation.
        public var speculationMinimumSamples: Int

        public init(
            heartbeatTimeout: Duration = .seconds(5), speculationFactor: Double = 3,
            speculationMinimumRuntime: Duration = .seconds(2), speculationMinimumSamples: Int = 3
        ) {
            self.heartbeatTimeout = heartbeatTimeout
            self.speculationFactor = speculationFactor
            self.speculationMinimumRuntime = speculationMinimumRuntime
            self.speculationMinimumSamples = speculationMinimumSamples
        }

        public init(_ settings: Settings) {
            self.init(
                heartbeatTimeout: settings.heartbeatTimeout, speculationFactor: settings.speculationFactor,
                speculationMinimumRuntime: settings.speculationMinimumRuntime)
        }
    }

    public let configuration: Configuration
    var jobs = EntryTable<JobID, JobEntry>()
    var tasks = EntryTable<TaskID, TaskEntry>()
    var workers = EntryTable<WorkerID, WorkerEntry>()
    /// Workers in registration order; dispatch starts at a rotating offset so no worker is always first.
    var workerOrder: [WorkerID] = []
    var dispatchOffset = 0

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    // MARK: - Jobs

    /// Adds a job with its tasks: new ones queue; reloaded ones resume where the store says they were (a task
    /// that was running is queued again unless `restoreLease` gives its attempt back to a worker).
    ///
    /// A job planned in stages (`moreStages`) runs the tasks of `stage`; tasks of earlier stages come along
    /// committed. Once the stage's tasks have all committed the scheduler says `.stageCompleted` and waits for
    /// `addStage`.
    public mutating func addJob(
        _ descriptor: JobDescriptor, tasks descriptors: [TaskDescriptor], state: JobState = .queued,
        stage: Int = 0, moreStages: Bool = false
    ) -> [SchedulerDirective] {
        var job = JobEntry(descriptor, state: state, taskCount: descriptors.count)
        job.stage = stage
        job.moreStages = moreStages
        job.stageTasks = descriptors.compactMap { $0.stage == stage ? $0.id : nil }
        // Room for all of them at once: grown one rehash at a time, a million-task job moved every entry ~20 times.
        tasks.reserveCapacity(tasks.count + descriptors.count)
        job.queue.reserveCapacity(descriptors.count)
        for descriptor in descriptors {
            if descriptor.affinity != nil { job.hasAffinity = true }
            var task = TaskEntry(descriptor, job: job.id)
            switch descriptor.state {
            case .queued, .running, .committing:
                task.state = .queued
                job.queue.append(task.id)
                job.counts.queued += 1
            case .succeeded:
                job.counts.succeeded += 1
                job.committedBytes &+= descriptor.inputBytes
            case .failed: job.counts.failed += 1
            case .cancelled: job.counts.cancelled += 1
            }
            job.retries += descriptor.failures
            tasks.add(task.id, consume task)  // moved in, not copied (its strings retained and released again)
        }
        jobs[job.id] = job
        if state.isTerminal { return [] }
        return settleJob(job.id)
    }

    /// Gives a reloaded running attempt back to the worker that held it when the coordinator stopped. The worker
    /// appears as not yet reconnected; if it does not register within the heartbeat timeout, the attempt is lost.
    /// A task's every open lease is restored (a speculative copy or backup beside the first), so whichever commits
    /// first wins as before the restart.
    /// - Returns: whether the lease is live again; one that is not (its task settled, its job finished) is for the
    ///   caller to close, or it would stay open in the store.
    @discardableResult
    public mutating func restoreLease(
        _ attempt: TaskRef, worker workerID: WorkerID, startedAt: ContinuousClock.Instant, now: ContinuousClock.Instant
    ) -> Bool {
        guard var task = tasks[attempt.taskID], let entry = jobs[task.job], !entry.state.isTerminal,
              task.state == .queued || (task.state == .running && task.live[attempt.attempt] == nil)
        else { return false }
        var job = jobs.removeValue(forKey: task.job)!  // put back below; see `startAttempt`
        if workers[workerID] == nil {
            workers[workerID] = WorkerEntry(placeholderFor: workerID, now: now)
            workerOrder.append(workerID)
        }
        let copy = task.state == .running
        if !copy {
            job.queue.remove(task.id)
            job.counts.queued -= 1
            job.counts.running += 1
            if job.state == .queued { job.state = .running }
            task.state = .running
        }
        task.lastAttempt = max(task.lastAttempt, attempt.attempt)
        task.live[attempt.attempt] = LiveAttempt(worker: workerID, startedAt: startedAt, now: now, speculative: copy)
        if copy { task.speculated = true }
        // Numbered 0, as leased before any HELLO: the worker's HELLO must list it.
        workers.update(workerID) { $0.attempts[attempt] = 0 }
        tasks[task.id] = task
        jobs[job.id] = job
        return true
    }

    /// Adds the next stage's tasks to a job that completed its stage (`.stageCompleted`), with whether yet
    /// another stage follows. The tasks queue like a new job's; an empty stage settles the job at once.
    public mutating func addStage(_ id: JobID, tasks descriptors: [TaskDescriptor], moreStages: Bool)
        -> [SchedulerDirective]
    {
        guard var job = jobs[id], job.awaitingStage, !job.state.isTerminal else { return [] }
        // The stage that completed will not run again: its specs (a training step's parameters) can go.
        for task in job.stageTasks {
            tasks.update(task) {
                $0.spec = Frame([UInt8]())
                $0.attachments = []
            }
        }
        job.stageTasks = descriptors.map(\.id)
        job.stage += 1
        job.moreStages = moreStages
        job.awaitingStage = false
        job.taskCount += descriptors.count
        tasks.reserveCapacity(tasks.count + descriptors.count)
        job.queue.reserveCapacity(job.queue.count + descriptors.count)
        for descriptor in descriptors {
            if descriptor.affinity != nil { job.hasAffinity = true }
            let task = TaskEntry(descriptor, job: id)
            job.queue.append(task.id)
            job.counts.queued += 1
            tasks.add(task.id, task)
        }
        jobs[id] = job
        return settleJob(id)
    }

    /// Fails a job for a reason outside its tasks (its next stage could not be planned): queued tasks are
    /// dropped, running attempts cancelled on their workers.
    public mutating func failJob(_ id: JobID, error: String) -> [SchedulerDirective] {
        guard let job = jobs[id], !job.state.isTerminal else { return [] }
        return stopJob(id, as: .failed, error: error)
    }

    /// Cancels a job: queued tasks are dropped, running attempts cancelled on their workers.
    public mutating func cancelJob(_ id: JobID, reason: String) -> [SchedulerDirective] {
        guard let job = jobs[id], !job.state.isTerminal else { return [] }
        return stopJob(id, as: .cancelled, error: reason)
    }

    /// Forgets a finished job's tasks (its record stays in the store). Returns whether it was finished.
    @discardableResult
    public mutating func forgetJob(_ id: JobID) -> Bool {
        guard let job = jobs[id], job.state.isTerminal else { return false }
        tasks.removeAll { $0.job == id }
        jobs[id] = nil
        return true
    }

    // MARK: - Workers

    /// A worker registered (HELLO). Reconciles what it says it holds with what the scheduler leased to it:
    /// attempts it no longer holds are lost (their results never arrived); attempts it holds that are no longer
    /// wanted are cancelled.
    public mutating func register(_ registration: WorkerRegistration, now: ContinuousClock.Instant)
        -> [SchedulerDirective]
    {
        var directives: [SchedulerDirective] = []
        var worker = workers[registration.id] ?? WorkerEntry(placeholderFor: registration.id, now: now)
        if workers[registration.id] == nil { workerOrder.append(registration.id) }
        worker.slots = max(0, registration.slots)
        worker.kinds = registration.kinds
        worker.registered = true
        worker.draining = false
        // A fresh registration: a worker that reconnected after its BYE was lost can be dismissed again.
        worker.dismissed = false
        worker.lastSeen = now
        worker.info = registration
        let held = Set(registration.held)
        // Not those leased after the previous HELLO: this one may have been sent before they arrived.
        let vanished = worker.attempts.filter { !held.contains($0.key) && $0.value <= worker.leasesAtHello }.keys
        for attempt in vanished { worker.attempts[attempt] = nil }
        worker.leasesAtHello = worker.leases
        workers[registration.id] = worker
        for attempt in vanished.sorted(by: Self.attemptOrder) {
            directives += endAttempt(
                attempt, on: registration.id, as: .unreported,
                error: "the worker re-registered without this attempt; it or its result was lost in transit", now: now)
        }
        let stale = held.filter { workers[registration.id]?.attempts[$0] == nil }
        if !stale.isEmpty {
            directives.append(.cancel(
                worker: registration.id, attempts: stale.sorted(by: Self.attemptOrder),
                reason: "the coordinator no longer leases this attempt to you"))
        }
        directives.append(.workerJoined(registration.id))
        return directives
    }

    /// Whether `worker` is registered (a worker known only from a reloaded lease is not, until its HELLO).
    public func isRegistered(_ worker: WorkerID) -> Bool { workers.read(worker) { $0.registered } ?? false }

    /// Any message from a worker proves it alive.
    public mutating func seen(_ worker: WorkerID, now: ContinuousClock.Instant) {
        workers.update(worker) { $0.lastSeen = now }
    }

    /// Progress reported in a HEARTBEAT. Moving progress resets the attempt's hang clock.
    public mutating func heartbeat(
        from workerID: WorkerID, progress: [TaskProgress], now: ContinuousClock.Instant
    ) {
        guard workers.update(workerID, { $0.lastSeen = now }) != nil else { return }
        for report in progress {
            guard let index = tasks.position(of: report.task.taskID),
                  var live = tasks[at: index].live[report.task.attempt], live.worker == workerID else { continue }
            if live.progress.records != report.records || live.progress.bytes != report.bytes
                || live.progress.status != report.status || live.progress.counters != report.counters
            {
                live.lastProgressAt = now
            }
            live.progress = report
            tasks[at: index].live[report.task.attempt] = live
        }
    }

    /// The worker asked to drain, or was asked to (`shoal drain`): it gets no more tasks, and is dismissed once
    /// it holds none.
    public mutating func drain(_ workerID: WorkerID) -> [SchedulerDirective] {
        guard workers[workerID] != nil else { return [] }
        workers.update(workerID) { $0.draining = true }
        return dismissIfDrained(workerID)
    }

    /// The worker left (BYE): attempts it returned go back to the queue without counting against their tasks;
    /// any it still held are lost.
    public mutating func bye(
        from workerID: WorkerID, returned: [TaskRef], reason: String, now: ContinuousClock.Instant
    ) -> [SchedulerDirective] {
        guard let worker = workers[workerID] else { return [] }
        var directives: [SchedulerDirective] = []
        let returnedSet = Set(returned)
        for attempt in worker.attempts.keys.sorted(by: Self.attemptOrder) {
            directives += endAttempt(
                attempt, on: workerID, as: returnedSet.contains(attempt) ? .returned : .lost,
                error: "worker left: \(reason)", now: now)
        }
        removeWorker(workerID)
        directives.append(.workerLeft(workerID, reason: reason))
        return directives
    }

    // MARK: - Results

    /// An attempt ended on its worker (RESULT). Fenced: only the live attempt of the task, on the worker it was
    /// leased to, counts; anything else (a duplicate, a late result from a worker presumed dead, an attempt
    /// already cancelled) only frees the slot it held.
    public mutating func result(
        _ result: TaskResult, from workerID: WorkerID, now: ContinuousClock.Instant
    ) -> [SchedulerDirective] {
        // The worker is found once (its id is a string: hashing it for each of the steps below showed in `perf`).
        let worker = workers.position(of: workerID)
        if let worker { workers[at: worker].lastSeen = now }
        return self.result(result, from: workerID, at: worker, now: now)
    }

    /// `result` for each of a RESULT's results, in order, appended to `directives`: the worker is found once for
    /// them all, and a result that succeeds (nearly every one) makes no array of its own.
    public mutating func results(
        _ results: [TaskResult], from workerID: WorkerID, now: ContinuousClock.Instant,
        into directives: inout [SchedulerDirective]
    ) {
        let worker = workers.position(of: workerID)
        if let worker { workers[at: worker].lastSeen = now }
        for result in results {
            if let worker, result.outcome == .succeeded, let index = tasks.position(of: result.task.taskID),
               tasks[at: index].state == .running,
               let startedAt = tasks[at: index].live.startedAt(result.task.attempt, on: workerID)
            {
                directives.append(.commit(beginCommit(result, at: index, from: workerID, startedAt: startedAt, now: now)))
                workers[at: worker].attempts.removeValue(forKey: result.task)
                if let dismiss = dismissIfDrained(at: worker) { directives.append(dismiss) }
            } else {
                directives.append(contentsOf: self.result(result, from: workerID, at: worker, now: now))
            }
        }
    }

    /// A live attempt of the running task at `index` succeeded: its outputs go to be committed.
    private mutating func beginCommit(
        _ result: TaskResult, at index: Int, from workerID: WorkerID, startedAt: ContinuousClock.Instant,
        now: ContinuousClock.Instant
    ) -> AttemptCommit {
        tasks[at: index].beginCommit(
            result.task, CommittingAttempt(
                attempt: result.task, worker: workerID, runtime: startedAt.duration(to: now),
                logTail: result.logTail, counters: result.counters),
            outputs: result.outputs)
    }

    /// `result`, with the worker's position in `workers` (nil when it is not there).
    private mutating func result(
        _ result: TaskResult, from workerID: WorkerID, at worker: Int?, now: ContinuousClock.Instant
    ) -> [SchedulerDirective] {
        let attempt = result.task
        // The entry is changed where it lies (`tasks[at: index]`): read out and written back, every field of
        // it would be copied twice, which was a tenth of the coordinator's time per task.
        guard let index = tasks.position(of: attempt.taskID),
              let startedAt = tasks[at: index].live.startedAt(attempt.attempt, on: workerID)
        else {
            // Not (or no longer) a live lease: free the slot if this worker held it, and say nothing else.
            guard let worker, workers[at: worker].attempts.removeValue(forKey: attempt) != nil else { return [] }
            return dismissIfDrained(at: worker).map { [$0] } ?? []
        }
        switch result.outcome {
        case .succeeded where tasks[at: index].state == .running:
            let commit = beginCommit(result, at: index, from: workerID, startedAt: startedAt, now: now)
            guard let worker else { return [.commit(commit)] }
            workers[at: worker].attempts.removeValue(forKey: attempt)
            guard let dismiss = dismissIfDrained(at: worker) else { return [.commit(commit)] }
            return [.commit(commit), dismiss]
        case .succeeded:
            // Another copy is already committing or committed.
            return endAttempt(attempt, on: workerID, as: .superseded, error: "another attempt committed first",
                              now: now)
        case .failed:
            return endAttempt(
                attempt, on: workerID, as: .failed, error: result.error, exitStatus: result.exitStatus,
                signal: result.signal, logTail: result.logTail, now: now)
        case .cancelled:
            return endAttempt(attempt, on: workerID, as: .cancelled, error: result.error, logTail: result.logTail,
                              now: now)
        }
    }

    /// The TASK that carried `attempts` could not be handed to `workerID`'s connection (it went away, and ZeroMQ
    /// refused the message): the attempts never reached the worker, and go back to their tasks' queues now, not
    /// at the hang timeout. Not the tasks' fault. The worker gets no more leases until it is heard from again
    /// (`WorkerEntry.unreachable`).
    public mutating func undelivered(_ attempts: [TaskRef], to workerID: WorkerID, now: ContinuousClock.Instant)
        -> [SchedulerDirective]
    {
        workers.update(workerID) { $0.unreachable = true }
        return attempts.flatMap { attempt in
            endAttempt(attempt, on: workerID, as: .unreported,
                       error: "its TASK could not be delivered: the worker's connection was gone", now: now)
        }
    }

    /// The shell committed the outputs of the task's committing attempt.
    public mutating func committed(_ attempt: TaskRef, now: ContinuousClock.Instant) -> [SchedulerDirective] {
        var directives: [SchedulerDirective] = []
        committed(attempt, now: now, into: &directives)
        return directives
    }

    /// `committed`, its directives appended to `directives` (an array per commit showed in `perf`).
    public mutating func committed(
        _ attempt: TaskRef, now: ContinuousClock.Instant, into directives: inout [SchedulerDirective]
    ) {
        // In place, as in `result`.
        guard let index = tasks.position(of: attempt.taskID), tasks[at: index].state == .committing,
              let committing = tasks[at: index].committing, committing.attempt == attempt,
              let jobIndex = jobs.position(of: tasks[at: index].job)
        else { return }
        let (jobID, inputBytes, failures) = (tasks[at: index].job, tasks[at: index].inputBytes, tasks[at: index].failures)
        // Speculative siblings still running lose: cancel them, and let them go without counting.
        let siblings = tasks[at: index].finishCommit()
        jobs[at: jobIndex].counts.running -= 1
        jobs[at: jobIndex].counts.succeeded += 1
        jobs[at: jobIndex].committedBytes &+= inputBytes
        jobs[at: jobIndex].runtimes.add(committing.runtime)
        directives.append(.attemptEnded(AttemptRecord(
            task: attempt, job: jobID, worker: committing.worker, ending: .succeeded,
            exitStatus: 0, logTail: committing.logTail, runtime: committing.runtime, counters: committing.counters)))
        for (number, sibling) in siblings {
            let ref = TaskRef(taskID: attempt.taskID, attempt: number)
            directives.append(.attemptEnded(AttemptRecord(
                task: ref, job: jobID, worker: sibling.worker, ending: .superseded,
                error: "attempt \(attempt.attempt) committed first", runtime: sibling.startedAt.duration(to: now))))
            directives.append(.cancel(worker: sibling.worker, attempts: [ref], reason: "another attempt committed"))
        }
        directives.append(.taskChanged(task: attempt.taskID, job: jobID, state: .succeeded, failures: failures))
        // Only the last task of a job (or stage) settles it.
        guard jobs[at: jobIndex].counts.succeeded == jobs[at: jobIndex].taskCount else { return }
        directives.append(contentsOf: settleJob(jobID))
    }

    /// Whether `attempt` is its task's committing attempt: a `.commit` decided earlier in a batch is carried out
    /// only while this holds (its job may have been stopped since).
    public func isCommitting(_ attempt: TaskRef) -> Bool {
        guard let index = tasks.position(of: attempt.taskID), tasks[at: index].state == .committing else { return false }
        return tasks[at: index].committing?.attempt == attempt
    }

    /// Committing the outputs failed (disk full, permissions): the attempt counts as failed.
    public mutating func commitFailed(_ attempt: TaskRef, error: String, now: ContinuousClock.Instant)
        -> [SchedulerDirective]
    {
        guard var task = tasks[attempt.taskID], task.state == .committing,
              let committing = task.committing, committing.attempt == attempt else { return [] }
        task.state = .running
        task.committing = nil
        tasks[task.id] = task
        let record = AttemptRecord(
            task: attempt, job: task.job, worker: committing.worker, ending: .failed,
            error: "committing the output failed: \(error)", logTail: committing.logTail, runtime: committing.runtime)
        return afterAttempt(task.id, record: record)
    }

    // MARK: - Shared steps

    /// Frees the slot `attempt` held on its worker. Returns whether it held one.
    @discardableResult
    mutating func releaseSlot(_ attempt: TaskRef, on workerID: WorkerID) -> Bool {
        workers.update(workerID) { $0.attempts.removeValue(forKey: attempt) != nil } ?? false
    }

    /// Ends a live attempt (or frees a cancelling one's slot), records it, and moves its task on.
    mutating func endAttempt(
        _ attempt: TaskRef, on workerID: WorkerID, as ending: AttemptEnding, error: String, exitStatus: Int32 = -1,
        signal: Int32 = 0, logTail: String = "", now: ContinuousClock.Instant
    ) -> [SchedulerDirective] {
        releaseSlot(attempt, on: workerID)
        var directives = dismissIfDrained(workerID)
        guard var task = tasks[attempt.taskID], let live = task.live[attempt.attempt], live.worker == workerID else {
            return directives
        }
        task.live[attempt.attempt] = nil
        tasks[task.id] = task
        let record = AttemptRecord(
            task: attempt, job: task.job, worker: workerID, ending: ending, error: error, exitStatus: exitStatus,
            signal: signal, logTail: logTail, runtime: live.startedAt.duration(to: now))
        directives += afterAttempt(task.id, record: record)
        return directives
    }

    /// Records an ended attempt and decides its task's fate: keep running (a sibling still runs), retry, or
    /// fail the job once the task is out of attempts.
    mutating func afterAttempt(_ taskID: TaskID, record: AttemptRecord) -> [SchedulerDirective] {
        guard var task = tasks[taskID], jobs[task.job] != nil else { return [] }
        var job = jobs.removeValue(forKey: task.job)!  // put back on every path below; see `startAttempt`
        var directives: [SchedulerDirective] = [.attemptEnded(record)]
        if record.ending.countsAsFailure {
            task.failures += 1
            job.retries += 1
            task.lastError = record.error.isEmpty ? record.ending.rawValue : record.error
        }
        guard task.state == .running, task.live.isEmpty else {
            tasks[taskID] = task
            jobs[job.id] = job
            // A sibling still runs: the failure is stored now, or a restart before the task ends would forget it
            // (and grant it an attempt more than max_attempts).
            if record.ending.countsAsFailure {
                directives.append(.taskChanged(task: taskID, job: job.id, state: task.state, failures: task.failures))
            }
            return directives
        }
        job.counts.running -= 1
        if task.failures >= job.descriptor.maxAttempts {
            task.state = .failed
            job.counts.failed += 1
            tasks[taskID] = task
            jobs[job.id] = job
            directives.append(.taskChanged(task: taskID, job: job.id, state: .failed, failures: task.failures))
            let error = "task \(taskID) (\(task.label)) failed \(task.failures) time"
                + (task.failures == 1 ? "" : "s") + "; last error: \(task.lastError ?? record.ending.rawValue)"
            return directives + stopJob(job.id, as: .failed, error: error)
        }
        task.state = .queued
        job.counts.queued += 1
        job.queue.pushFront(taskID)
        tasks[taskID] = task
        jobs[job.id] = job
        directives.append(.taskChanged(task: taskID, job: job.id, state: .queued, failures: task.failures))
        return directives
    }

    /// Ends a job as failed or cancelled: its queued tasks are cancelled, its running attempts cancelled on their
    /// workers (they keep their slots until their RESULT arrives).
    mutating func stopJob(_ id: JobID, as state: JobState, error: String) -> [SchedulerDirective] {
        guard var job = jobs[id] else { return [] }
        var cancels: [WorkerID: [TaskRef]] = [:]
        var directives: [SchedulerDirective] = []
        for taskID in job.queue.drain() {
            tasks.update(taskID) { $0.state = .cancelled }
            directives.append(.taskChanged(task: taskID, job: id, state: .cancelled, failures: tasks[taskID]?.failures ?? 0))
        }
        job.counts.cancelled += job.counts.queued
        job.counts.queued = 0
        for (taskID, task) in tasks where task.job == id && (task.state == .running || task.state == .committing) {
            for (number, live) in task.live {
                cancels[live.worker, default: []].append(TaskRef(taskID: taskID, attempt: number))
            }
            // A committing task's commit is abandoned too (its outputs are not written: `isCommitting`), and its
            // attempt closed here: left committing, it would be counted running in the job's final counts.
            if let committing = task.committing, task.state == .committing {
                directives.append(.attemptEnded(AttemptRecord(
                    task: committing.attempt, job: id, worker: committing.worker, ending: .cancelled,
                    error: "job \(state.rawValue) before its output was committed", runtime: committing.runtime)))
            }
            tasks.update(taskID) {
                $0.live = [:]
                $0.committing = nil
                $0.state = .cancelled
            }
            job.counts.running -= 1
            job.counts.cancelled += 1
            directives.append(.taskChanged(task: taskID, job: id, state: .cancelled, failures: task.failures))
        }
        job.state = state
        job.error = error
        jobs[id] = job
        for (worker, attempts) in cancels.sorted(by: { $0.key < $1.key }) {
            for attempt in attempts.sorted(by: Self.attemptOrder) {
                directives.append(.attemptEnded(AttemptRecord(
                    task: attempt, job: id, worker: worker, ending: .cancelled, error: "job \(state.rawValue)")))
            }
            directives.append(.cancel(worker: worker, attempts: attempts.sorted(by: Self.attemptOrder),
                                      reason: "job \(id) \(state.rawValue): \(error)"))
        }
        directives.append(.jobChanged(job: id, state: state, error: error))
        return directives
    }

    /// Moves a job to succeeded once every task has committed — or, when another stage follows, says the
    /// stage completed (once) and waits for `addStage`.
    mutating func settleJob(_ id: JobID) -> [SchedulerDirective] {
        guard var job = jobs[id], !job.state.isTerminal else { return [] }
        if job.counts.succeeded == job.taskCount && job.moreStages {
            guard !job.awaitingStage else { return [] }
            job.awaitingStage = true
            jobs[id] = job
            return [.stageCompleted(job: id, stage: job.stage)]
        }
        if job.counts.succeeded == job.taskCount {
            job.state = .succeeded
            jobs[id] = job
            return [.jobChanged(job: id, state: .succeeded, error: nil)]
        }
        return []
    }

    /// Sends a drained worker away once it holds nothing.
    mutating func dismissIfDrained(_ workerID: WorkerID) -> [SchedulerDirective] {
        guard let index = workers.position(of: workerID) else { return [] }
        return dismissIfDrained(at: index).map { [$0] } ?? []
    }

    /// `dismissIfDrained` for the worker at `index` of `workers`.
    mutating func dismissIfDrained(at index: Int) -> SchedulerDirective? {
        // Fields read where they lie: a copy of the entry would retain all of it, for every result.
        guard workers[at: index].draining, workers[at: index].registered, workers[at: index].attempts.isEmpty,
              !workers[at: index].dismissed else { return nil }
        workers[at: index].dismissed = true
        return .dismiss(worker: workers[at: index].id, reason: "drained")
    }

    mutating func removeWorker(_ workerID: WorkerID) {
        workers[workerID] = nil
        workerOrder.removeAll { $0 == workerID }
    }

    static func attemptOrder(_ a: TaskRef, _ b: TaskRef) -> Bool {
        (a.taskID, a.attempt) < (b.taskID, b.attempt)
    }
}
