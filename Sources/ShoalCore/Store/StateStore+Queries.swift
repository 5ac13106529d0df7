import Foundation
import GRDB

extension StateStore {
    /// Every attempt of a task, oldest first: those in its job's runs (`AttemptRun`: started, committed) and
    /// those with rows of their own (ended otherwise), a row's ending over a run's.
    public func attempts(ofTask task: TaskID) throws -> [AttemptStatus] {
        guard let id = Int64(exactly: task) else { return [] }
        return try readDurable { db in
            let job = try JobID.fetchOne(
                db.cachedStatement(sql: """
                    SELECT job_id FROM plans WHERE first_task <= ?1 AND first_task + count > ?1
                    ORDER BY first_task DESC LIMIT 1
                    """),
                arguments: [id])
            return try Self.attempts(ofTask: id, job: job, in: db)
        }
    }

    /// `attempts(ofTask:)` of a task of `job` (nil: a task no plan holds, whose rows alone are read).
    static func attempts(ofTask id: Int64, job: JobID?, in db: Database) throws -> [AttemptStatus] {
        let task = TaskID(bitPattern: id)
        var attempts: [UInt32: AttemptStatus] = [:]
        if let job {
            try Self.forEachRun(of: job, task: id, in: db) { attempt, worker, at in
                guard attempt.task == id else { return }
                attempts[attempt.attempt] = AttemptStatus(
                    task: task, attempt: attempt.attempt, worker: worker, speculative: attempt.speculative,
                    startedAt: at, endedAt: nil, ending: nil, error: nil, exitStatus: nil, signal: nil,
                    logTail: nil, runtimeMs: nil)
            } succeeded: { attempt, worker, at in
                guard attempt.task == id else { return }
                var status = attempts[attempt.attempt] ?? AttemptStatus(
                    task: task, attempt: attempt.attempt, worker: worker, speculative: false,
                    startedAt: at - Double(attempt.runtimeMs) / 1000, endedAt: nil, ending: nil, error: nil,
                    exitStatus: nil, signal: nil, logTail: nil, runtimeMs: nil)
                status.endedAt = at
                status.ending = .succeeded
                status.exitStatus = 0
                status.signal = 0
                status.logTail = attempt.logTail.isEmpty ? nil : attempt.logTail
                status.runtimeMs = Int64(attempt.runtimeMs)
                attempts[attempt.attempt] = status
            }
        }
        for row in try Row.fetchAll(
            db.cachedStatement(sql: "SELECT * FROM attempts WHERE task_id = ?"), arguments: [id]) {
            var status = Self.attemptStatus(row)
            if let started = attempts[status.attempt] {
                // Who ran it, and when it started, as its started run says.
                status.worker = started.worker
                status.speculative = started.speculative
                status.startedAt = started.startedAt
            }
            attempts[status.attempt] = status
        }
        return attempts.values.sorted { $0.attempt < $1.attempt }
    }

    /// The job's most recent attempts that ended without succeeding, newest first.
    public func troubles(ofJob job: JobID, limit: Int = 20) throws -> [AttemptStatus] {
        try readDurable { db in
            try Row.fetchAll(db.cachedStatement(sql: """
                    SELECT * FROM attempts WHERE job_id = ? AND ending IS NOT NULL AND ending != 'succeeded'
                    ORDER BY ended_at DESC, task_id DESC, attempt DESC LIMIT ?
                    """), arguments: [job, limit]
            ).map(Self.attemptStatus)
        }
    }

    /// The job's counters, summed over committed attempts.
    public func counters(ofJob job: JobID) throws -> [String: Int64] {
        try readDurable { db in
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
        guard let id = Int64(exactly: task), Int64(exactly: job) != nil else { return nil }
        let found = try readDurable { db -> (PlanChunk.Entry, TaskState, Int, [AttemptStatus])? in
            guard let chunk = try Row.fetchOne(
                db.cachedStatement(sql: """
                    SELECT first_task, job_id, count, tasks FROM plans WHERE first_task <= ?
                    ORDER BY first_task DESC LIMIT 1
                    """),
                arguments: [id])
            else { return nil }
            let first: Int64 = chunk["first_task"], count: Int = chunk["count"]
            guard id < first + Int64(count), chunk["job_id"] == Int64(job) else { return nil }
            var entry: PlanChunk.Entry?
            try PlanChunk.decode(chunk["tasks"], first: first, count: count) { task, candidate in
                if task == id { entry = candidate }
            }
            guard let entry else { return nil }
            let state = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT state, failures FROM task_states WHERE id = ?"), arguments: [id])
            return (entry, state.flatMap { TaskState(rawValue: $0["state"]) } ?? .queued, state?["failures"] ?? 0,
                    try Self.attempts(ofTask: id, job: job, in: db))
        }
        guard let (entry, state, failures, attempts) = found else { return nil }
        return TaskDetail(
            id: task, job: job, index: entry.index, label: entry.label,
            state: attempts.contains { $0.ending == .succeeded } ? .succeeded : state, failures: failures,
            attempts: attempts)
    }

    /// The task of a job at shard index `index` (its first stage's, when stages repeat shard numbers).
    public func taskID(job: JobID, index: Int) throws -> TaskID? {
        guard Int64(exactly: job) != nil else { return nil }
        return try readDurable { db in
            for chunk in try Row.fetchAll(
                db.cachedStatement(sql: "SELECT first_task, count, tasks FROM plans WHERE job_id = ? ORDER BY stage, first_task"),
                arguments: [job]) {
                let first: Int64 = chunk["first_task"]
                var found: Int64?
                try PlanChunk.decode(chunk["tasks"], first: first, count: chunk["count"], labels: false) { id, entry in
                    if found == nil && entry.index == index { found = id }
                }
                if let found { return TaskID(found) }
            }
            return nil
        }
    }

    /// Attempts of the job that counted against their tasks (failed, lost, hung, timed out).
    public func retries(ofJob job: JobID) throws -> Int {
        let failures = AttemptEnding.allCases.filter(\.countsAsFailure).map { "'\($0.rawValue)'" }.joined(separator: ", ")
        return try readDurable { db in
            try Int.fetchOne(db.cachedStatement(sql: """
                    SELECT COUNT(*) FROM attempts
                    WHERE job_id = ? AND ending IS NOT NULL AND ending != 'succeeded' AND ending IN (\(failures))
                    """),
                arguments: [job]) ?? 0
        }
    }

    /// Input bytes of the job's committed tasks.
    public func committedInputBytes(ofJob job: JobID) throws -> UInt64 {
        guard Int64(exactly: job) != nil else { return 0 }
        return try readDurable { db in
            var total: UInt64 = 0
            // Succeeded: a committed attempt (in a run, or a row from before runs), or (a shard found committed
            // at reload) a state row.
            var committed = Set<Int64>()
            try Self.forEachRun(of: job, in: db) { _, _, _ in } succeeded: { attempt, _, _ in committed.insert(attempt.task) }
            for chunk in try Row.fetchAll(
                db.cachedStatement(sql: "SELECT first_task, count, tasks FROM plans WHERE job_id = ?"), arguments: [job]) {
                let first: Int64 = chunk["first_task"], count: Int = chunk["count"]
                let succeeded = Set(try Int64.fetchAll(
                    db.cachedStatement(sql: """
                        SELECT task_id FROM attempts WHERE task_id >= ?1 AND task_id < ?2 AND ending = 'succeeded'
                        UNION SELECT id FROM task_states WHERE id >= ?1 AND id < ?2 AND state = 'succeeded'
                        """),
                    arguments: [first, first + Int64(count)]))
                try PlanChunk.decode(chunk["tasks"], first: first, count: count, labels: false) { id, entry in
                    if committed.contains(id) || succeeded.contains(id) { total &+= entry.inputBytes }
                }
            }
            return total
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
