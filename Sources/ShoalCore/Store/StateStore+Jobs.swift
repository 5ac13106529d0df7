import Foundation
import GRDB
import ZeroMQ

extension StateStore {
    /// Stores a new job and its planned tasks in one transaction, assigning their ids.
    /// - Returns: the job as stored, and its tasks as the scheduler takes them.
    public func insertJob(_ job: JobRecord, tasks planned: [PlannedTask]) throws -> (JobRecord, [TaskDescriptor]) {
        try database.write { db in
            try Self.insertJobRow(job, taskCount: planned.count, id: nil, db: db)
            var stored = job
            stored.id = JobID(db.lastInsertedRowID)
            stored.state = .queued
            stored.stage = 0
            stored.taskCount = planned.count
            return (stored, try Self.insertTasks(planned, job: stored.id, stage: 0, db: db))
        }
    }

    /// The job's row, queued, under `id` (nil: the next AUTOINCREMENT id).
    static func insertJobRow(_ job: JobRecord, taskCount: Int, id: JobID?, db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO jobs (id, name, kind, priority, max_attempts, timeout_ms, hang_timeout_ms, speculation,
                    state, error, source, working_directory, spec_hash, output_directory, task_count,
                    submitted_at, finish_spec, more_stages)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                id, job.name, job.kind, job.priority, job.maxAttempts, job.timeoutMs, job.hangTimeoutMs,
                job.speculation, JobState.queued.rawValue, job.source, job.workingDirectory, job.specHash,
                job.outputDirectory, taskCount, job.submittedAt, job.finishSpec.map { Data($0) },
                job.moreStages,
            ])
    }

    /// Adds the next stage's tasks to a job whose stage `stage - 1` has committed, in one transaction.
    /// - Returns: the tasks as the scheduler takes them.
    public func insertStage(
        _ stage: Int, of job: JobID, tasks planned: [PlannedTask], moreStages: Bool, progress: String? = nil
    ) throws -> [TaskDescriptor] {
        try database.write { db in
            try db.execute(
                sql: "UPDATE jobs SET stage = ?, more_stages = ?, task_count = task_count + ?, summary = coalesce(?, summary) WHERE id = ?",
                arguments: [stage, moreStages, planned.count, progress, job])
            // The stage before is done (every task committed): its specs will not be read again, and a training
            // job's hold the parameters of a step — kept, they would grow the database by a model per task.
            try Self.dropSpecs(ofJob: job, stage: stage - 1, db: db)
            return try Self.insertTasks(planned, job: job, stage: stage, db: db)
        }
    }

    static func insertTasks(_ planned: [PlannedTask], job: JobID, stage: Int, db: Database) throws -> [TaskDescriptor] {
        let firstID = try nextTaskID(db)
        // A stage is planned once, and its shard indices are unique: they name its committed outputs.
        guard try Bool.fetchOne(
            db.cachedStatement(sql: "SELECT 1 FROM plans WHERE job_id = ? AND stage = ? LIMIT 1"), arguments: [job, stage]
        ) == nil else {
            throw StageError(description: "job \(job) already has a stage \(stage)")
        }
        let descriptors = try Self.descriptors(planned, job: job, firstID: TaskID(firstID), stage: stage)
        try insertChunks(planned, job: job, stage: stage, firstID: firstID, db: db)
        return descriptors
    }

    /// Task ids are given in planning order after the highest so far (plans are never deleted, so none is used
    /// twice): a chunk's tasks have consecutive ids from its `first_task`.
    static func nextTaskID(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(
            db.cachedStatement(sql: "SELECT first_task + count FROM plans ORDER BY first_task DESC LIMIT 1")) ?? 1
    }

    /// The id the next job inserted gets (`jobs.id` is AUTOINCREMENT: one past the highest ever given).
    static func nextJobID(_ db: Database) throws -> Int64 {
        let sequence = try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'jobs'") ?? 0
        let highest = try Int64.fetchOne(db, sql: "SELECT max(id) FROM jobs") ?? 0
        return max(sequence, highest) + 1
    }

    /// The ids the next job and its first task will get: what `insertJobInOrder` needs. Waits for the writes
    /// queued before it.
    public func nextIDs() throws -> (job: JobID, task: TaskID) {
        try database.writeWithoutTransaction { db in
            (JobID(try Self.nextJobID(db)), TaskID(try Self.nextTaskID(db)))
        }
    }

    /// Inserts a job and its tasks under the ids `nextIDs` gave (`job.id`, `firstTask`), queued in order behind
    /// the writes before it, as `applyInOrder` is: the coordinator takes the job up while SQLite writes it (its
    /// 20,000 tasks' plan chunks took ~4 ms). Fails, writing nothing, if another insert took those ids meanwhile.
    public func insertJobInOrder(
        _ job: JobRecord, tasks planned: [PlannedTask], firstTask: TaskID,
        if proceed: @escaping @Sendable () -> Bool = { true }, then: @escaping @Sendable ((any Error)?) -> Void
    ) {
        let write = StoreWrite.job(job, tasks: planned, firstTask: firstTask)
        writeInOrder(take: { proceed() ? [write] : [] }, then: { _, error in then(error) })
    }

    /// The scheduler's descriptors of `planned` (stage `stage` of job `job`), their ids consecutive from `firstID`.
    /// - Throws: `StageError` for a shard index planned twice, or attachments on a task that is not ephemeral.
    public static func descriptors(_ planned: [PlannedTask], job: JobID, firstID: TaskID, stage: Int) throws
        -> [TaskDescriptor]
    {
        if !planned.indices.elementsEqual(planned.lazy.map(\.index)) {
            var seen = Set<Int>(minimumCapacity: planned.count)
            if let repeated = planned.first(where: { !seen.insert($0.index).inserted }) {
                throw StageError(description: "job \(job), stage \(stage): shard index \(repeated.index) is planned twice")
            }
        }
        var descriptors: [TaskDescriptor] = []
        descriptors.reserveCapacity(planned.count)
        // Tasks with the same spec as the one before share its frame: a million `noop` tasks hold one.
        var previous: (bytes: [UInt8], frame: Frame)?
        for (offset, task) in planned.enumerated() {
            guard task.attachments.isEmpty || task.ephemeral else {
                throw StageError(
                    description: "task \(task.index) (\(task.label)) has attachments but is not ephemeral:"
                        + " a copy reloaded after a restart would run without them")
            }
            let spec = previous.flatMap { $0.bytes == task.spec ? $0.frame : nil } ?? Frame(task.spec)
            previous = (task.spec, spec)
            descriptors.append(TaskDescriptor(
                id: firstID + TaskID(offset), index: task.index, label: task.label, spec: spec,
                inputBytes: task.inputBytes, stage: stage, affinity: task.affinity,
                backups: task.backups, ephemeral: task.ephemeral, attachments: task.attachments))
        }
        return descriptors
    }

    /// The plan chunks of `planned`, ids from `firstID`.
    static func insertChunks(_ planned: [PlannedTask], job: JobID, stage: Int, firstID: Int64, db: Database) throws {
        // An ephemeral task's spec (a training step's parameters) is not stored: reloaded after a restart, the
        // task runs with an empty spec, which its kind takes for "planned again" (`PlannedTask.ephemeral`).
        let insert = try db.cachedStatement(
            sql: "INSERT INTO plans (first_task, job_id, stage, count, tasks) VALUES (?, ?, ?, ?, ?)")
        for start in stride(from: 0, to: planned.count, by: PlanChunk.capacity) {
            let chunk = planned[start..<min(planned.count, start + PlanChunk.capacity)]
            try insert.execute(arguments: [firstID + Int64(start), job, stage, chunk.count, Data(PlanChunk.encode(chunk))])
        }
    }

    /// Rewrites a finished stage's chunks without their specs.
    static func dropSpecs(ofJob job: JobID, stage: Int, db: Database) throws {
        let chunks = try Row.fetchAll(
            db.cachedStatement(sql: "SELECT first_task, count, tasks FROM plans WHERE job_id = ? AND stage = ?"),
            arguments: [job, stage])
        for chunk in chunks {
            var tasks: [PlannedTask] = []
            var specs = false
            let first: Int64 = chunk["first_task"]
            try PlanChunk.decode(chunk["tasks"], first: first, count: chunk["count"]) { _, entry in
                specs = specs || !entry.spec.isEmpty
                tasks.append(PlannedTask(index: entry.index, label: entry.label, spec: [], inputBytes: entry.inputBytes))
            }
            guard specs else { continue }   // a training step's: ephemeral, never stored
            try db.execute(
                sql: "UPDATE plans SET tasks = ? WHERE first_task = ?", arguments: [Data(PlanChunk.encode(tasks)), first])
        }
    }

    /// The unfinished job submitted earlier with the same spec hash, if any: submitting it again resumes it.
    public func unfinishedJob(specHash: String) throws -> JobID? {
        try query { db in
            try JobID.fetchOne(
                db.cachedStatement(
                    sql: "SELECT id FROM jobs WHERE spec_hash = ? AND state IN ('queued', 'running') ORDER BY id DESC"),
                arguments: [specHash])
        }
    }

    /// One job's record. Ids come from the network: one SQLite cannot hold (above `Int64.max`) names no job.
    public func job(_ id: JobID) throws -> JobRecord? {
        guard Int64(exactly: id) != nil else { return nil }
        return try readDurable { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM jobs WHERE id = ?"), arguments: [id])
                .map(Self.jobRecord)
        }
    }

    /// The most recent jobs, newest first.
    public func jobs(limit: Int = 100) throws -> [JobRecord] {
        try readDurable { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM jobs ORDER BY id DESC LIMIT ?"), arguments: [limit])
                .map(Self.jobRecord)
        }
    }

    static func jobRecord(_ row: Row) -> JobRecord {
        JobRecord(
            id: row["id"], name: row["name"], kind: row["kind"], priority: row["priority"],
            maxAttempts: row["max_attempts"], timeoutMs: row["timeout_ms"], hangTimeoutMs: row["hang_timeout_ms"],
            speculation: row["speculation"], state: JobState(rawValue: row["state"]) ?? .failed, error: row["error"],
            source: row["source"], workingDirectory: row["working_directory"], specHash: row["spec_hash"],
            outputDirectory: row["output_directory"], taskCount: row["task_count"], submittedAt: row["submitted_at"],
            startedAt: row["started_at"], finishedAt: row["finished_at"],
            finalCounts: (row["final_counts"] as String?).flatMap {
                try? JSONDecoder().decode(TaskCounts.self, from: Data($0.utf8))
            },
            finishSpec: (row["finish_spec"] as Data?).map { Array($0) }, summary: row["summary"], stage: row["stage"],
            moreStages: row["more_stages"])
    }

    /// Records what finishing a job produced (an ETL job's totals), shown by its status from then on.
    public func recordSummary(_ summary: String, ofJob job: JobID) throws {
        try database.write { db in
            try db.execute(sql: "UPDATE jobs SET summary = ? WHERE id = ?", arguments: [summary, job])
        }
    }

    /// Records a finished job's task counts, so its status shows them once the scheduler has let it go.
    public func recordFinalCounts(_ counts: TaskCounts, ofJob job: JobID) throws {
        let text = String(decoding: try JSONEncoder().encode(counts), as: UTF8.self)
        try database.write { db in
            try db.execute(sql: "UPDATE jobs SET final_counts = ? WHERE id = ?", arguments: [text, job])
        }
    }
}
