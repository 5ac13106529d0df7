import Foundation
import GRDB
import ShoalProtocol

extension StateStore {
    /// Persists what a batch of scheduler directives changes, in one transaction. Directives that only send
    /// messages (cancel, dismiss) change nothing here.
    ///
    /// Started attempts, and committed ones, are entries of runs (`AttemptRun`: a row per job and worker of the
    /// batch); an attempt that ends otherwise gets a row in `attempts`. A task gets its row in `task_states` when
    /// its state changes for good (failed, cancelled, queued again) — until then it is queued, as planned
    /// (`plans`) — and the reload takes a task's last attempt number from its started attempts
    /// (`loadUnfinished`). A task that succeeded is one with a committed attempt (the commit writes both in one
    /// batch), so its own change to succeeded writes no row; only a success without one (a shard found committed
    /// at reload) does. So a task that succeeds first time costs two entries of a few bytes in two blobs.
    public func apply(_ directives: [SchedulerDirective], now: Date = Date()) throws {
        guard directives.contains(where: Self.persists) else { return }
        try database.write { db in try Self.write(directives, time: now.timeIntervalSince1970, in: db) }
    }

    /// `apply` on the store's own queue, after everything queued or begun before it (this and every other store
    /// call go through one serial queue): returns at once, and calls `then` on that queue once the transaction
    /// committed (with nil) or failed (with the error; nothing of it is kept). A write or a `query` made after
    /// this call waits for it, so it sees what it wrote; the status reads (`readDurable`) do not wait.
    ///
    /// The coordinator writes a batch this way and sends the batch's messages from `then`: they still go out only
    /// once what they announce is durable, while its engine goes on with the next batch on another core.
    ///
    /// `proceed` is asked on that queue first: when it says no (an earlier batch failed), nothing is written.
    public func applyInOrder(
        _ directives: [SchedulerDirective], now: Date = Date(), if proceed: @escaping @Sendable () -> Bool = { true },
        then: @escaping @Sendable ((any Error)?) -> Void
    ) {
        let write = StoreWrite.directives(directives, time: now.timeIntervalSince1970)
        writeInOrder(take: { proceed() ? [write] : [] }, then: { _, error in then(error) })
    }

    /// A write on the store's own queue, after everything queued or begun before it: when its turn comes, `take`
    /// says what to write — a caller that queues writes faster than SQLite commits them hands over all those
    /// waiting by then, in their order, so that they share one transaction (group commit: each transaction
    /// rewrote the pages it touched, and the coordinator's store spent a sixth of its time in `pwrite`) — and
    /// they are written in one transaction. `then` gets them, and nil or the error (then nothing of them is kept).
    public func writeInOrder(
        take: @escaping @Sendable () -> [StoreWrite],
        then: @escaping @Sendable ([StoreWrite], (any Error)?) -> Void
    ) {
        database.asyncWriteWithoutTransaction { db in
            let writes = take()
            do {
                if writes.contains(where: \.persists) {
                    try db.inTransaction {
                        for write in writes { try Self.perform(write, in: db) }
                        return .commit
                    }
                }
                then(writes, nil)
            } catch {
                then(writes, error)
            }
        }
    }

    static func perform(_ write: StoreWrite, in db: Database) throws {
        switch write {
        case .directives(let directives, let time):
            try Self.write(directives, time: time, in: db)
        case .job(let job, let planned, let firstTask):
            let (jobID, taskID) = (try Self.nextJobID(db), try Self.nextTaskID(db))
            guard jobID == Int64(job.id), taskID == Int64(firstTask) else {
                throw StageError(description: "job \(job.id) was to have ids from job \(job.id), task "
                    + "\(firstTask), but the next are job \(jobID), task \(taskID)")
            }
            try Self.insertJobRow(job, taskCount: planned.count, id: job.id, db: db)
            try Self.insertChunks(planned, job: job.id, stage: 0, firstID: taskID, db: db)
        }
    }

    /// Returns once everything `applyInOrder` queued before this call is done (its `then` called).
    public func waitForQueuedWrites() throws {
        try database.writeWithoutTransaction { _ in }
    }

    /// The rows `directives` change, written into `db` (inside the caller's transaction).
    static func write(_ directives: [SchedulerDirective], time: Double, in db: Database) throws {
        var startedJobs: Set<JobID> = []
        var lastStartedJob: JobID?
        // Consecutive task changes to one state go in by many per statement (most batches: "succeeded, 0
        // failures" for every task); a task changed twice flushes first, so its later change lands last.
        var taskStates: (state: TaskState, failures: Int, ids: IDSet, writer: RowBatchWriter)?
        // Started and committed attempts, a run per job and worker (`AttemptRun`), written at the end. A batch
        // has a few: found by a look at the last one used, then a scan (hashing a key with the worker's name per
        // attempt was 5% of the coordinator's time).
        var runs: [(key: RunKey, builder: AttemptRun.Builder)] = []
        var lastRun = 0
        // Attempts that ended otherwise: full rows (rare: failures, workers lost, cancellations).
        var endedRows: RowBatchWriter?
        // Tasks whose attempt committed in this batch: its entry says the task succeeded.
        var succeeded = IDSet()
        func run(_ kind: AttemptRun.Kind, job: JobID, worker: WorkerID, _ add: (inout AttemptRun.Builder) -> Void) {
            let key = RunKey(kind: kind, job: job, worker: worker)
            if lastRun >= runs.count || runs[lastRun].key != key {
                lastRun = runs.firstIndex { $0.key == key } ?? runs.endIndex
                if lastRun == runs.endIndex { runs.append((key, AttemptRun.Builder())) }
            }
            add(&runs[lastRun].builder)
        }
        for directive in directives {
            switch directive {
            case .start(let worker, let attempts):
                for attempt in attempts {
                    run(.started, job: attempt.job, worker: worker) {
                        $0.add(AttemptRun.Started(
                            task: Int64(bitPattern: attempt.task.taskID), attempt: attempt.task.attempt,
                            speculative: attempt.speculative))
                    }
                    if attempt.job != lastStartedJob {
                        lastStartedJob = attempt.job
                        if startedJobs.insert(attempt.job).inserted {
                            try db.cachedStatement(
                                sql: "UPDATE jobs SET state = 'running', started_at = ? WHERE id = ? AND state = 'queued'"
                            ).execute(arguments: [time, attempt.job])
                        }
                    }
                }
            case .attemptEnded(let record):
                let runtimeMs = record.runtime.milliseconds
                if record.ending == .succeeded {
                    // A commit: exit 0, no error (`Scheduler.committed`).
                    run(.succeeded, job: record.job, worker: record.worker) {
                        $0.add(AttemptRun.Succeeded(
                            task: Int64(bitPattern: record.task.taskID), attempt: record.task.attempt,
                            runtimeMs: UInt32(clamping: runtimeMs), logTail: record.logTail))
                    }
                    succeeded.insert(record.task.taskID)
                } else {
                    // Its start time and whether it was speculative are in its started run; the row's own are
                    // what a reader falls back on.
                    if endedRows == nil {
                        endedRows = RowBatchWriter(
                            prefix: """
                                INSERT OR REPLACE INTO attempts (task_id, attempt, job_id, worker, speculative,
                                    started_at, ended_at, ending, error, exit_status, signal, log_tail, runtime_ms) VALUES
                                """ + " ",
                            row: "(?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?)", in: db)
                    }
                    try endedRows?.add(
                        .id(record.task.taskID), .int(record.task.attempt), .id(record.job), .text(record.worker),
                        .real(time - Double(runtimeMs) / 1000), .real(time), .text(record.ending.rawValue),
                        .nonEmpty(record.error), .int(record.exitStatus), .int(record.signal),
                        .nonEmpty(record.logTail), .integer(runtimeMs))
                }
                if !record.counters.isEmpty {
                    let add = try db.cachedStatement(sql: """
                        INSERT INTO counters (job_id, name, value) VALUES (?, ?, ?)
                        ON CONFLICT (job_id, name) DO UPDATE SET value = value + excluded.value
                        """)
                    for counter in record.counters {
                        try add.execute(arguments: [record.job, counter.name, counter.value])
                    }
                }
            case .taskChanged(let task, let job, let state, let failures):
                if state == .succeeded && succeeded.contains(task) { continue }
                if taskStates?.state != state || taskStates?.failures != failures || taskStates?.ids.contains(task) == true {
                    try taskStates?.writer.flush()
                    // The state is an enum's raw value and the count an integer: literals, one cached statement
                    // per pair.
                    taskStates = (state, failures, IDSet(), RowBatchWriter(
                        prefix: "INSERT INTO task_states (id, job_id, state, failures) VALUES ",
                        row: "(?, ?, '\(state.rawValue)', \(failures))",
                        suffix: " ON CONFLICT (id) DO UPDATE SET state = excluded.state, failures = excluded.failures",
                        in: db))
                }
                taskStates?.ids.insert(task)
                try taskStates?.writer.add(.id(task), .id(job))
            case .jobChanged(let job, let state, let error):
                try db.cachedStatement(sql: """
                    UPDATE jobs SET state = ?, error = ?,
                        finished_at = CASE WHEN ? THEN ? ELSE finished_at END
                    WHERE id = ?
                    """).execute(arguments: [state.rawValue, error, state.isTerminal, time, job])
            case .commit, .cancel, .workerJoined, .workerLeft, .dismiss, .stageCompleted:
                break
            }
        }
        try taskStates?.writer.flush()
        try endedRows?.flush()
        let insertRun = try db.cachedStatement(sql: """
            INSERT INTO attempt_runs (job_id, kind, worker, at, first_task, last_task, attempts)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """)
        for (key, builder) in runs {
            try insertRun.execute(arguments: [
                key.job, key.kind.rawValue, key.worker, time, builder.firstTask, builder.lastTask, Data(builder.bytes),
            ])
        }
    }

    /// A run being written: its kind, job and worker.
    struct RunKey: Hashable {
        var kind: AttemptRun.Kind
        var job: JobID
        var worker: WorkerID
    }

    static func persists(_ directive: SchedulerDirective) -> Bool {
        switch directive {
        case .start, .attemptEnded, .taskChanged, .jobChanged: true
        case .commit, .cancel, .workerJoined, .workerLeft, .dismiss, .stageCompleted: false
        }
    }
}

/// One of the writes `StateStore.writeInOrder` queues.
public enum StoreWrite: Sendable {
    /// What a batch of directives changes (`StateStore.apply`), `time` its Unix time.
    case directives([SchedulerDirective], time: Double)
    /// A new job and its tasks, under the ids `StateStore.nextIDs` gave (`job.id`, `firstTask`): refused, and
    /// nothing written, if another insert took them meanwhile.
    case job(JobRecord, tasks: [PlannedTask], firstTask: TaskID)

    var persists: Bool {
        switch self {
        case .directives(let directives, _): directives.contains(where: StateStore.persists)
        case .job: true
        }
    }
}
