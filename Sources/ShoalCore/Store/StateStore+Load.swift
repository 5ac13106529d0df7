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
                // Starting an attempt writes only its attempt row, so a task's last attempt number is the
                // highest of its attempt rows, and a queued task with an unended attempt was running: a
                // primary-key seek or two per task.
                // Streamed row by row (a million-task job must not hold a million rows and its descriptors at
                // once), and tasks with the same spec as the one before share its frame.
                let rows = try Row.fetchCursor(
                    db, sql: """
                        SELECT id, stage, idx, label, spec, failures, input_bytes,
                            CASE WHEN state = 'queued' AND EXISTS (
                                    SELECT 1 FROM attempts WHERE task_id = tasks.id AND ending IS NULL)
                                 THEN 'running' ELSE state END AS state,
                            MAX(last_attempt, COALESCE(
                                (SELECT MAX(attempt) FROM attempts WHERE task_id = tasks.id), 0)) AS last_attempt
                        FROM tasks WHERE job_id = ? ORDER BY stage, idx
                        """,
                    arguments: [record.id])
                var tasks: [TaskDescriptor] = []
                tasks.reserveCapacity(record.taskCount)
                var previous: (bytes: Data, frame: Frame)?
                while let row = try rows.next() {
                    let bytes: Data = row["spec"]
                    let spec = previous.flatMap { $0.bytes == bytes ? $0.frame : nil } ?? Frame([UInt8](bytes))
                    previous = (bytes, spec)
                    tasks.append(TaskDescriptor(
                        id: row["id"], index: row["idx"], label: row["label"], spec: spec,
                        state: TaskState(rawValue: row["state"]) ?? .queued, lastAttempt: row["last_attempt"],
                        failures: row["failures"], inputBytes: UInt64(max(0, row["input_bytes"] as Int64)),
                        stage: row["stage"]))
                }
                // Through the job's tasks (its range of the tasks' unique index, then a primary-key seek each):
                // running attempts have no index of their own, which would cost every attempt a B-tree more.
                let leases = try Row.fetchAll(
                    db, sql: """
                        SELECT a.task_id, a.attempt, a.worker, a.started_at
                        FROM tasks t JOIN attempts a ON a.task_id = t.id
                        WHERE t.job_id = ? AND a.ending IS NULL
                        """,
                    arguments: [record.id]
                ).map { row in
                    ReloadedLease(
                        attempt: TaskRef(taskID: row["task_id"], attempt: row["attempt"]), worker: row["worker"],
                        startedAt: row["started_at"])
                }
                return ReloadedJob(record: record, tasks: tasks, leases: leases)
            }
        }
    }
}
