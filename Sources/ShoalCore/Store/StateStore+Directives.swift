import Foundation
import GRDB
import ShoalProtocol

extension StateStore {
    /// Persists what a batch of scheduler directives changes, in one transaction. Directives that only send
    /// messages (cancel, dismiss) change nothing here.
    ///
    /// A started attempt is one row in `attempts`; a task gets its row in `task_states` when its state changes
    /// for good (failed, cancelled, queued again) — until then it is queued, as planned (`plans`) — and the
    /// reload takes a task's last attempt number from its attempt rows (`loadUnfinished`). A task that succeeded
    /// is one whose attempt ended `succeeded` (the commit writes both in one batch), so its own change to
    /// succeeded writes no row; only a success without one (a shard found committed at reload) does. So a task
    /// that succeeds first time costs an attempt row written and ended.
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
        let persists = directives.contains(where: Self.persists)
        let time = now.timeIntervalSince1970
        database.asyncWriteWithoutTransaction { db in
            do {
                if persists && proceed() {
                    try db.inTransaction {
                        try Self.write(directives, time: time, in: db)
                        return .commit
                    }
                }
                then(nil)
            } catch {
                then(error)
            }
        }
    }

    /// Returns once everything `applyInOrder` queued before this call is done (its `then` called).
    public func waitForQueuedWrites() throws {
        try database.writeWithoutTransaction { _ in }
    }

    /// The rows `directives` change, written into `db` (inside the caller's transaction).
    static func write(_ directives: [SchedulerDirective], time: Double, in db: Database) throws {
        var startedJobs: Set<JobID> = []
        // Consecutive task changes to one state go in by many per statement (most batches: "succeeded, 0
        // failures" for every task); a task changed twice flushes first, so its later change lands last.
        var taskStates: (state: TaskState, failures: Int, ids: IDSet, writer: RowBatchWriter)?
        // Likewise attempts that ended alike (all but the task id equal: a batch of no-op successes).
        var endings: (ending: Ending, tasks: IDSet, writer: RowBatchWriter)?
        // Tasks whose attempt ended `succeeded` in this batch: that row says the task succeeded.
        var succeeded = IDSet()
        for directive in directives {
            switch directive {
            case .start(let worker, let attempts):
                // An attempt row that ended earlier in this batch is written before it could be started again.
                try endings?.writer.flush()
                endings = nil
                var insertAttempts = RowBatchWriter(
                    prefix: "INSERT OR REPLACE INTO attempts (task_id, attempt, job_id, worker, speculative, started_at)"
                        + " VALUES ",
                    row: "(?, ?, ?, ?, ?, ?)", in: db)
                for attempt in attempts {
                    try insertAttempts.add(
                        .id(attempt.task.taskID), .int(attempt.task.attempt), .id(attempt.job), .text(worker),
                        .bool(attempt.speculative), .real(time))
                    if startedJobs.insert(attempt.job).inserted {
                        try db.cachedStatement(
                            sql: "UPDATE jobs SET state = 'running', started_at = ? WHERE id = ? AND state = 'queued'"
                        ).execute(arguments: [time, attempt.job])
                    }
                }
                try insertAttempts.flush()
            case .attemptEnded(let record):
                let ending = Ending(record)
                if endings?.ending != ending || endings?.tasks.contains(record.task.taskID) == true {
                    try endings?.writer.flush()
                    endings = (ending, IDSet(), RowBatchWriter(
                        prefix: """
                            UPDATE attempts SET ended_at = ?1, ending = ?2, error = ?3, exit_status = ?4, signal = ?5,
                                log_tail = ?6, runtime_ms = ?7
                            WHERE attempt = ?8 AND task_id IN (
                            """,
                        row: "?", suffix: ")",
                        leading: [
                            .real(time), .text(ending.ending.rawValue), .nonEmpty(ending.error), .int(ending.exitStatus),
                            .int(ending.signal), .nonEmpty(ending.logTail), .integer(ending.runtimeMs),
                            .int(ending.attempt),
                        ],
                        in: db))
                }
                endings?.tasks.insert(record.task.taskID)
                try endings?.writer.add(.id(record.task.taskID))
                if record.ending == .succeeded { succeeded.insert(record.task.taskID) }
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
        try endings?.writer.flush()
    }

    /// How an attempt ended, but for its task: what attempts written by one statement share.
    struct Ending: Equatable {
        var attempt: UInt32
        var ending: AttemptEnding
        var error: String
        var exitStatus: Int32
        var signal: Int32
        var logTail: String
        var runtimeMs: Int64

        init(_ record: AttemptRecord) {
            attempt = record.task.attempt
            ending = record.ending
            error = record.error
            exitStatus = record.exitStatus
            signal = record.signal
            logTail = record.logTail
            runtimeMs = record.runtime.milliseconds
        }
    }

    static func persists(_ directive: SchedulerDirective) -> Bool {
        switch directive {
        case .start, .attemptEnded, .taskChanged, .jobChanged: true
        case .commit, .cancel, .workerJoined, .workerLeft, .dismiss, .stageCompleted: false
        }
    }
}
