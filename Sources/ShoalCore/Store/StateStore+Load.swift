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
                // Chunk by chunk (a million-task job must not hold a million rows and its descriptors at once):
                // its plan, then what changed for its tasks — state rows, and attempt rows, which give a task's
                // last attempt number (starting an attempt writes only its attempt row), show a task with an
                // attempt that ended `succeeded` to have succeeded and a task still queued with an unended
                // attempt to be running. All by ranges of primary keys.
                let chunks = try Row.fetchAll(
                    db, sql: "SELECT first_task, stage, count FROM plans WHERE job_id = ? ORDER BY stage, first_task",
                    arguments: [record.id])
                var tasks: [TaskDescriptor] = []
                tasks.reserveCapacity(record.taskCount)
                var leases: [ReloadedLease] = []
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
                    var attempts: [Int64: (last: UInt32, open: Bool, succeeded: Bool)] = [:]
                    for row in try Row.fetchAll(db, sql: """
                            SELECT task_id, MAX(attempt) AS last, MAX(ending IS NULL) AS open,
                                MAX(ending IS 'succeeded') AS succeeded
                            FROM attempts WHERE task_id >= ? AND task_id < ? AND job_id = ? GROUP BY task_id
                            """, arguments: StatementArguments(range)) {
                        attempts[row["task_id"]] = (row["last"], row["open"], row["succeeded"])
                    }
                    leases += try Row.fetchAll(db, sql: """
                            SELECT task_id, attempt, worker, started_at FROM attempts
                            WHERE task_id >= ? AND task_id < ? AND job_id = ? AND ending IS NULL
                            """, arguments: StatementArguments(range)
                    ).map { row in
                        ReloadedLease(
                            attempt: TaskRef(taskID: row["task_id"], attempt: row["attempt"]), worker: row["worker"],
                            startedAt: row["started_at"])
                    }
                    let blob = try Data.fetchOne(db, sql: "SELECT tasks FROM plans WHERE first_task = ?", arguments: [first])
                    try PlanChunk.decode(blob ?? Data(), first: first, count: count, job: record.id) { id, entry in
                        let spec = previous.flatMap { $0.bytes == entry.spec ? $0.frame : nil } ?? Frame(entry.spec)
                        previous = (entry.spec, spec)
                        let changed = states[id], attempt = attempts[id]
                        var state = changed?.state ?? .queued
                        if attempt?.succeeded == true {
                            state = .succeeded  // its committed attempt says so (no state row is written for it)
                        } else if state == .queued && attempt?.open == true {
                            state = .running
                        }
                        tasks.append(TaskDescriptor(
                            id: TaskID(id), index: entry.index, label: entry.label, spec: spec, state: state,
                            lastAttempt: attempt?.last ?? 0, failures: changed?.failures ?? 0,
                            inputBytes: entry.inputBytes, stage: stage))
                    }
                }
                return ReloadedJob(record: record, tasks: tasks, leases: leases)
            }
        }
    }
}
