import Foundation
import GRDB
import ShoalProtocol
import ZeroMQ

/// An unfinished job as reloaded after a restart.
public struct ReloadedJob: Sendable {
    public var record: JobRecord
    public var tasks: [TaskDescriptor]
    /// Attempts that were running when the coordinator stopped, with their workers and start times.
    public var leases: [ReloadedLease]
}

/// A running attempt reloaded after a restart.
public struct ReloadedLease: Sendable, Equatable {
    public var attempt: TaskRef
    public var worker: WorkerID
    /// Unix seconds.
    public var startedAt: Double

    public init(attempt: TaskRef, worker: WorkerID, startedAt: Double) {
        self.attempt = attempt
        self.worker = worker
        self.startedAt = startedAt
    }
}

extension StateStore {
    /// Every job that was queued or running, with its tasks and running leases.
    public func loadUnfinished() throws -> [ReloadedJob] {
        try database.read { db in
            let records = try Row.fetchAll(
                db, sql: "SELECT * FROM jobs WHERE state IN ('queued', 'running') ORDER BY id"
            ).map(Self.jobRecord)
            return try records.map { record in
                // Its runs first (`AttemptRun`): every attempt started, and those committed. A task's last
                // attempt number is the highest started (or in a row of its own), and an attempt started that
                // neither committed nor ended in a row was running.
                var open: [TaskRef: ReloadedLease] = [:]
                var lastStarted: [Int64: UInt32] = [:]
                var committed = Set<Int64>()
                try Self.forEachRun(of: record.id, in: db) { attempt, worker, at in
                    let ref = TaskRef(taskID: TaskID(bitPattern: attempt.task), attempt: attempt.attempt)
                    open[ref] = ReloadedLease(attempt: ref, worker: worker, startedAt: at)
                    lastStarted[attempt.task] = max(lastStarted[attempt.task] ?? 0, attempt.attempt)
                } succeeded: { attempt, _, _ in
                    open[TaskRef(taskID: TaskID(bitPattern: attempt.task), attempt: attempt.attempt)] = nil
                    committed.insert(attempt.task)
                }
                // Then chunk by chunk (a million-task job must not hold a million rows and its descriptors at
                // once): its plan, the state rows of tasks that failed, were cancelled or queued again, and the
                // rows of attempts that ended otherwise than committing (and of those committed before runs). All
                // by ranges of primary keys.
                let chunks = try Row.fetchAll(
                    db, sql: "SELECT first_task, stage, count FROM plans WHERE job_id = ? ORDER BY stage, first_task",
                    arguments: [record.id])
                var tasks: [TaskDescriptor] = []
                tasks.reserveCapacity(record.taskCount)
                var previous: (bytes: [UInt8], frame: Frame)?
                for chunk in chunks {
                    let first: Int64 = chunk["first_task"], count: Int = chunk["count"], stage: Int = chunk["stage"]
                    let range: [any DatabaseValueConvertible] = [first, first + Int64(count), record.id]
                    var states: [Int64: (state: TaskState, failures: Int)] = [:]
                    for row in try Row.fetchAll(db, sql: """
                            SELECT id, state, failures FROM task_states WHERE id >= ? AND id < ? AND job_id = ?
                            """, arguments: StatementArguments(range)) {
                        states[row["id"]] = (TaskState(rawValue: row["state"]) ?? .queued, row["failures"])
                    }
                    var lastInRows: [Int64: UInt32] = [:]
                    for row in try Row.fetchAll(db, sql: """
                            SELECT task_id, attempt, ending, worker, started_at FROM attempts
                            WHERE task_id >= ? AND task_id < ? AND job_id = ?
                            """, arguments: StatementArguments(range)) {
                        let task: Int64 = row["task_id"], number: UInt32 = row["attempt"]
                        let ref = TaskRef(taskID: TaskID(bitPattern: task), attempt: number)
                        lastInRows[task] = max(lastInRows[task] ?? 0, number)
                        switch (row["ending"] as String?).flatMap(AttemptEnding.init(rawValue:)) {
                        case nil:
                            // Unended rows are no longer written (migration v8 moved them into runs); one is a lease.
                            open[ref] = ReloadedLease(attempt: ref, worker: row["worker"], startedAt: row["started_at"])
                        case .succeeded?:
                            open[ref] = nil
                            committed.insert(task)
                        case _?:
                            open[ref] = nil
                        }
                    }
                    let blob = try Data.fetchOne(db, sql: "SELECT tasks FROM plans WHERE first_task = ?", arguments: [first])
                    try PlanChunk.decode(blob ?? Data(), first: first, count: count, job: record.id) { id, entry in
                        let spec = previous.flatMap { $0.bytes == entry.spec ? $0.frame : nil } ?? Frame(entry.spec)
                        previous = (entry.spec, spec)
                        let changed = states[id]
                        let last = max(lastStarted[id] ?? 0, lastInRows[id] ?? 0)
                        var state = changed?.state ?? .queued
                        if committed.contains(id) {
                            state = .succeeded  // its committed attempt says so (no state row is written for it)
                        } else if state == .queued && last > 0 && (1...last).contains(where: {
                            open[TaskRef(taskID: TaskID(id), attempt: $0)] != nil
                        }) {
                            state = .running
                        }
                        tasks.append(TaskDescriptor(
                            id: TaskID(id), index: entry.index, label: entry.label, spec: spec, state: state,
                            lastAttempt: last, failures: changed?.failures ?? 0,
                            inputBytes: entry.inputBytes, stage: stage))
                    }
                }
                let leases = open.values.sorted {
                    ($0.attempt.taskID, $0.attempt.attempt) < ($1.attempt.taskID, $1.attempt.attempt)
                }
                return ReloadedJob(record: record, tasks: tasks, leases: leases)
            }
        }
    }
}

extension StateStore {
    /// Calls `started` with every attempt of the job's started runs and `succeeded` with every attempt of its
    /// committed ones, run by run in the order they were written, with the run's worker and time; with `task`,
    /// only the runs whose range holds it (their other attempts too).
    static func forEachRun(
        of job: JobID, task: Int64? = nil, in db: Database,
        started: (AttemptRun.Started, _ worker: String, _ at: Double) throws -> Void,
        succeeded: (AttemptRun.Succeeded, _ worker: String, _ at: Double) throws -> Void
    ) throws {
        let rows = try task.map { task in
            try Row.fetchCursor(
                db.cachedStatement(sql: """
                    SELECT id, kind, worker, at, attempts FROM attempt_runs
                    WHERE job_id = ? AND first_task <= ? AND last_task >= ? ORDER BY id
                    """),
                arguments: [job, task, task])
        } ?? Row.fetchCursor(
            db.cachedStatement(sql: "SELECT id, kind, worker, at, attempts FROM attempt_runs WHERE job_id = ? ORDER BY id"),
            arguments: [job])
        while let row = try rows.next() {
            let id: Int64 = row["id"], worker: String = row["worker"], at: Double = row["at"]
            switch AttemptRun.Kind(rawValue: row["kind"]) {
            case .started?: try AttemptRun.decode(started: row["attempts"], run: id) { try started($0, worker, at) }
            case .succeeded?: try AttemptRun.decode(succeeded: row["attempts"], run: id) { try succeeded($0, worker, at) }
            case nil:
                throw StoreCorruption(description: "attempt run \(id) of job \(job): unknown kind \(row["kind"] as Int64? ?? -1)")
            }
        }
    }
}
