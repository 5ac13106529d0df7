import Foundation
import GRDB

extension StateStore {
    /// Every attempt of a task, oldest first.
    public func attempts(ofTask task: TaskID) throws -> [AttemptStatus] {
        guard Int64(exactly: task) != nil else { return [] }
        return try query { db in
            try Row.fetchAll(
                db.cachedStatement(sql: "SELECT * FROM attempts WHERE task_id = ? ORDER BY attempt"), arguments: [task])
                .map(Self.attemptStatus)
        }
    }

    /// The job's most recent attempts that ended without succeeding, newest first.
    public func troubles(ofJob job: JobID, limit: Int = 20) throws -> [AttemptStatus] {
        try query { db in
            try Row.fetchAll(db.cachedStatement(sql: """
                    SELECT * FROM attempts WHERE job_id = ? AND ending IS NOT NULL AND ending != 'succeeded'
                    ORDER BY ended_at DESC, task_id DESC, attempt DESC LIMIT ?
                    """), arguments: [job, limit]
            ).map(Self.attemptStatus)
        }
    }

    /// The job's counters, summed over committed attempts.
    public func counters(ofJob job: JobID) throws -> [String: Int64] {
        try query { db in
            var counters: [String: Int64] = [:]
            let statement = try db.cachedStatement(sql: "SELECT name, value FROM counters WHERE job_id = ?")
            for row in try Row.fetchAll(statement, arguments: [job]) {
                counters[row["name"]] = row["value"]
            }
            return counters
        }
    }

    /// A task in detail, or `nil` when it does not exist (or belongs to another job).
    public func taskDetail(_ task: TaskID, job: JobID) throws -> TaskDetail? {
        guard Int64(exactly: task) != nil, Int64(exactly: job) != nil else { return nil }
        let row = try query { db in
            try Row.fetchOne(
                db.cachedStatement(sql: "SELECT id, job_id, idx, label, state, failures FROM tasks WHERE id = ? AND job_id = ?"),
                arguments: [task, job])
        }
        guard let row else { return nil }
        return TaskDetail(
            id: row["id"], job: row["job_id"], index: row["idx"], label: row["label"],
            state: TaskState(rawValue: row["state"]) ?? .failed, failures: row["failures"],
            attempts: try attempts(ofTask: task))
    }

    /// The task of a job at shard index `index`.
    public func taskID(job: JobID, index: Int) throws -> TaskID? {
        guard Int64(exactly: job) != nil else { return nil }
        return try query { db in
            try TaskID.fetchOne(
                db.cachedStatement(sql: "SELECT id FROM tasks WHERE job_id = ? AND idx = ?"), arguments: [job, index])
        }
    }

    /// Attempts of the job that counted against their tasks (failed, lost, hung, timed out).
    public func retries(ofJob job: JobID) throws -> Int {
        let failures = AttemptEnding.allCases.filter(\.countsAsFailure).map { "'\($0.rawValue)'" }.joined(separator: ", ")
        return try query { db in
            try Int.fetchOne(db.cachedStatement(sql: """
                    SELECT COUNT(*) FROM attempts
                    WHERE job_id = ? AND ending IS NOT NULL AND ending != 'succeeded' AND ending IN (\(failures))
                    """),
                arguments: [job]) ?? 0
        }
    }

    /// Input bytes of the job's committed tasks.
    public func committedInputBytes(ofJob job: JobID) throws -> UInt64 {
        try query { db in
            UInt64(try Int64.fetchOne(
                db.cachedStatement(
                    sql: "SELECT COALESCE(SUM(input_bytes), 0) FROM tasks WHERE job_id = ? AND state = 'succeeded'"),
                arguments: [job]) ?? 0)
        }
    }

    static func attemptStatus(_ row: Row) -> AttemptStatus {
        AttemptStatus(
            task: row["task_id"], attempt: row["attempt"], worker: row["worker"], speculative: row["speculative"],
            startedAt: row["started_at"], endedAt: row["ended_at"],
            ending: (row["ending"] as String?).flatMap(AttemptEnding.init(rawValue:)), error: row["error"],
            exitStatus: row["exit_status"], signal: row["signal"], logTail: row["log_tail"], runtimeMs: row["runtime_ms"])
    }
}
