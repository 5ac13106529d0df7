import CShoalSQLite
import Foundation
import GRDB
import GRDBSQLite
import ShoalProtocol
import ZeroMQ

/// The coordinator's durable state: jobs, tasks, attempts (leases and how they ended), counters, and the
/// coordinator's epoch, in one SQLite database (`state.sqlite`, WAL) in the state directory.
///
/// Write-ahead: the coordinator applies a batch of scheduler directives here, in one transaction, *before* it
/// sends the messages they describe or acknowledges a submission. After a kill -9, `loadUnfinished()` gives
/// back every job that was not finished, with its tasks' attempt counts and the leases that were running.
///
/// WAL with `synchronous = NORMAL`: a committed transaction survives the process dying at any point; a power
/// cut may lose the last few (documented in docs/architecture.md). Three connections: the writer (`database`,
/// the store's serial queue), a read-only one for status (`reader`), and the checkpointer's.
public final class StateStore: Sendable {
    /// The database file.
    public let path: String
    /// +1 every time a coordinator opens this state directory.
    public let epoch: UInt64
    let database: DatabaseQueue
    /// A second connection, read-only, for what `shoal status` and `shoal logs` ask (`readDurable`).
    let reader: DatabaseQueue
    /// A third, copying the log into the database off the writer's queue.
    let checkpointer: WALCheckpointer

    /// Opens (creating if needed) the state in `directory`, migrates it, and starts a new epoch.
    /// - Throws: when the directory cannot be created or the database cannot be opened (another coordinator
    ///   holding it is reported by SQLite as busy).
    public init(directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        path = (directory as NSString).appendingPathComponent("state.sqlite")
        var configuration = Configuration()
        configuration.journalMode = .wal
        configuration.busyMode = .timeout(2)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // Checkpoints are `checkpointer`'s, on a connection of its own.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 0")
            // The per-task statements keep their compiled form however their parameters are bound (see
            // `shoal_sqlite_enable_qpsg`): re-parsing them was a tenth of the store's time under load.
            if let connection = db.sqliteConnection {
                let code = shoal_sqlite_enable_qpsg(UnsafeMutableRawPointer(connection))
                guard code == SQLITE_OK else {
                    throw DatabaseError(resultCode: ResultCode(rawValue: code), message: "enabling SQLITE_DBCONFIG_ENABLE_QPSG")
                }
            }
        }
        database = try DatabaseQueue(path: path, configuration: configuration)
        try Self.migrator.migrate(database)
        epoch = try database.write { db in
            try db.execute(sql: "UPDATE coordinator SET epoch = epoch + 1 WHERE id = 1")
            return try UInt64.fetchOne(db, sql: "SELECT epoch FROM coordinator WHERE id = 1") ?? 1
        }
        var readerConfiguration = Configuration()
        readerConfiguration.readonly = true
        readerConfiguration.busyMode = .timeout(2)
        reader = try DatabaseQueue(path: path, configuration: readerConfiguration)
        checkpointer = try WALCheckpointer(path: path)
        // Last: `deinit` detaches it, and runs only for a store that was fully opened.
        database.writeWithoutTransaction { [checkpointer] db in checkpointer.attach(to: db) }
    }

    deinit {
        // After whatever is still queued on the writer (asynchronously: the last reference may go on its queue).
        database.asyncWriteWithoutTransaction { [checkpointer] db in checkpointer.detach(from: db) }
    }

    /// Runs `body`, which only reads, on the connection as it is — not through GRDB's `read`, which turns
    /// `PRAGMA query_only` on and off around it: SQLite expires every prepared statement of a connection when a
    /// flag pragma runs, so each `shoal status` poll made the coordinator's per-task statements re-parse (3% of
    /// its time under load, watched by `shoal submit --wait`). Statements here are cached (`cachedStatement`)
    /// for the same reason: preparing a fresh one resets GRDB's authorizer, which expires them all too.
    func query<T>(_ body: (Database) throws -> T) throws -> T {
        try database.inDatabase(body)
    }

    /// Runs `body`, which only reads, on the read-only connection: it sees every committed transaction, and
    /// waits for none of the writes queued on the store's queue (WAL: a reader and the writer do not block each
    /// other, nor does a checkpoint block a reader). For status and logs: a poll of a running job used to wait
    /// behind up to `WritePipeline.depth` batches and a WAL checkpoint, 8–28 ms of the coordinator's engine per
    /// poll on the scheduling benchmark, while the workers ran dry. What it cannot see is what no client has been
    /// told yet either (a batch's messages leave after its commit).
    func readDurable<T>(_ body: (Database) throws -> T) throws -> T {
        try reader.inDatabase(body)
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE coordinator (id INTEGER PRIMARY KEY CHECK (id = 1), epoch INTEGER NOT NULL);
                INSERT INTO coordinator (id, epoch) VALUES (1, 0);
                CREATE TABLE jobs (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    name TEXT NOT NULL, kind TEXT NOT NULL, priority INTEGER NOT NULL,
                    max_attempts INTEGER NOT NULL, timeout_ms INTEGER, hang_timeout_ms INTEGER NOT NULL,
                    speculation INTEGER NOT NULL,
                    state TEXT NOT NULL, error TEXT,
                    source TEXT NOT NULL, working_directory TEXT NOT NULL, spec_hash TEXT NOT NULL,
                    output_directory TEXT, task_count INTEGER NOT NULL,
                    submitted_at REAL NOT NULL, started_at REAL, finished_at REAL);
                CREATE INDEX jobs_by_hash ON jobs (spec_hash, state);
                CREATE TABLE tasks (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    job_id INTEGER NOT NULL REFERENCES jobs (id),
                    idx INTEGER NOT NULL, label TEXT NOT NULL, spec BLOB NOT NULL, input_bytes INTEGER NOT NULL,
                    state TEXT NOT NULL, last_attempt INTEGER NOT NULL DEFAULT 0,
                    failures INTEGER NOT NULL DEFAULT 0,
                    UNIQUE (job_id, idx));
                CREATE TABLE attempts (
                    task_id INTEGER NOT NULL, attempt INTEGER NOT NULL, job_id INTEGER NOT NULL,
                    worker TEXT NOT NULL, speculative INTEGER NOT NULL,
                    started_at REAL NOT NULL, ended_at REAL, ending TEXT, error TEXT,
                    exit_status INTEGER, signal INTEGER, log_tail TEXT, runtime_ms INTEGER,
                    PRIMARY KEY (task_id, attempt));
                CREATE INDEX attempts_running ON attempts (ending) WHERE ending IS NULL;
                CREATE INDEX attempts_by_job ON attempts (job_id, ending);
                CREATE TABLE counters (
                    job_id INTEGER NOT NULL, name TEXT NOT NULL, value INTEGER NOT NULL,
                    PRIMARY KEY (job_id, name));
                """)
        }
        // Row writes per task are the coordinator's cost per task: a running attempt is its attempt row alone
        // (no task-row update), and succeeded attempts stay out of every secondary index.
        migrator.registerMigration("v2: lean attempt indexes") { db in
            try db.execute(sql: """
                DROP INDEX attempts_running;
                DROP INDEX attempts_by_job;
                CREATE INDEX attempts_running ON attempts (job_id) WHERE ending IS NULL;
                CREATE INDEX attempts_troubles ON attempts (job_id, ended_at)
                    WHERE ending IS NOT NULL AND ending != 'succeeded';
                """)
        }
        migrator.registerMigration("v3: final task counts") { db in
            try db.execute(sql: "ALTER TABLE jobs ADD COLUMN final_counts TEXT")
        }
        migrator.registerMigration("v4: finishing a job") { db in
            try db.execute(sql: """
                ALTER TABLE jobs ADD COLUMN finish_spec BLOB;
                ALTER TABLE jobs ADD COLUMN summary TEXT;
                """)
        }
        // Jobs in stages: a task belongs to a stage, and shard numbers repeat across stages (an ETL job's
        // statistics pass and its main pass read the same shards), so the uniqueness moves to (job, stage, idx).
        migrator.registerMigration("v5: stages") { db in
            try db.execute(sql: """
                CREATE TABLE tasks_v5 (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    job_id INTEGER NOT NULL REFERENCES jobs (id),
                    stage INTEGER NOT NULL DEFAULT 0,
                    idx INTEGER NOT NULL, label TEXT NOT NULL, spec BLOB NOT NULL, input_bytes INTEGER NOT NULL,
                    state TEXT NOT NULL, last_attempt INTEGER NOT NULL DEFAULT 0,
                    failures INTEGER NOT NULL DEFAULT 0,
                    UNIQUE (job_id, stage, idx));
                INSERT INTO tasks_v5 (id, job_id, stage, idx, label, spec, input_bytes, state, last_attempt, failures)
                    SELECT id, job_id, 0, idx, label, spec, input_bytes, state, last_attempt, failures FROM tasks;
                DROP TABLE tasks;
                ALTER TABLE tasks_v5 RENAME TO tasks;
                ALTER TABLE jobs ADD COLUMN stage INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE jobs ADD COLUMN more_stages INTEGER NOT NULL DEFAULT 0;
                """)
        }
        // The per-task rows cost B-tree work, and at 60,000 tasks/s the store was half of the coordinator's CPU
        // (`perf`, 2026-12-06). An attempt row lived in three B-trees (the table, its primary-key index, the
        // partial index of running attempts): it is now kept in its primary key alone (WITHOUT ROWID), and a
        // reload finds the running ones from the job's tasks (`loadUnfinished`). A task insert no longer updates
        // `sqlite_sequence` (AUTOINCREMENT): tasks are never deleted, so SQLite's max(rowid) + 1 never reuses an
        // id either.
        migrator.registerMigration("v6: lean per-task rows") { db in
            try db.execute(sql: """
                CREATE TABLE attempts_v6 (
                    task_id INTEGER NOT NULL, attempt INTEGER NOT NULL, job_id INTEGER NOT NULL,
                    worker TEXT NOT NULL, speculative INTEGER NOT NULL,
                    started_at REAL NOT NULL, ended_at REAL, ending TEXT, error TEXT,
                    exit_status INTEGER, signal INTEGER, log_tail TEXT, runtime_ms INTEGER,
                    PRIMARY KEY (task_id, attempt)) WITHOUT ROWID;
                INSERT INTO attempts_v6 SELECT task_id, attempt, job_id, worker, speculative, started_at, ended_at,
                    ending, error, exit_status, signal, log_tail, runtime_ms FROM attempts;
                DROP TABLE attempts;
                ALTER TABLE attempts_v6 RENAME TO attempts;
                CREATE INDEX attempts_troubles ON attempts (job_id, ended_at)
                    WHERE ending IS NOT NULL AND ending != 'succeeded';
                CREATE TABLE tasks_v6 (
                    id INTEGER PRIMARY KEY,
                    job_id INTEGER NOT NULL REFERENCES jobs (id),
                    stage INTEGER NOT NULL DEFAULT 0,
                    idx INTEGER NOT NULL, label TEXT NOT NULL, spec BLOB NOT NULL, input_bytes INTEGER NOT NULL,
                    state TEXT NOT NULL, last_attempt INTEGER NOT NULL DEFAULT 0,
                    failures INTEGER NOT NULL DEFAULT 0,
                    UNIQUE (job_id, stage, idx));
                INSERT INTO tasks_v6 SELECT id, job_id, stage, idx, label, spec, input_bytes, state, last_attempt,
                    failures FROM tasks;
                DROP TABLE tasks;
                ALTER TABLE tasks_v6 RENAME TO tasks;
                """)
        }
        // A task's plan (shard index, label, spec, input bytes) is written once and never changes: it moves into
        // chunks of a stage's tasks (`PlanChunk`), one row per 4,096 tasks, and a task has a row of its own only
        // once its state changes (`task_states`). Accepting a 20,000-task job was 20,000 rows in two B-trees,
        // ~20-40 ms before its first lease (`perf`, 2026-12-07); a task that succeeds first time is now two row
        // writes (its attempt, its state) and its attempt's ending.
        migrator.registerMigration("v7: plans in chunks, task states apart") { db in
            try db.execute(sql: """
                CREATE TABLE plans (
                    first_task INTEGER PRIMARY KEY,
                    job_id INTEGER NOT NULL, stage INTEGER NOT NULL, count INTEGER NOT NULL, tasks BLOB NOT NULL);
                CREATE INDEX plans_by_job ON plans (job_id, stage);
                CREATE TABLE task_states (
                    id INTEGER PRIMARY KEY, job_id INTEGER NOT NULL, state TEXT NOT NULL, failures INTEGER NOT NULL);
                """)
            // Tasks planned together got consecutive ids: a chunk is a run of consecutive ids of one stage.
            let rows = try Row.fetchCursor(
                db, sql: "SELECT id, job_id, stage, idx, label, spec, input_bytes, state, failures FROM tasks ORDER BY id")
            var run: (first: Int64, job: Int64, stage: Int, tasks: [PlannedTask])?
            func flush() throws {
                guard let current = run else { return }
                try db.execute(
                    sql: "INSERT INTO plans (first_task, job_id, stage, count, tasks) VALUES (?, ?, ?, ?, ?)",
                    arguments: [current.first, current.job, current.stage, current.tasks.count,
                                Data(PlanChunk.encode(current.tasks))])
                run = nil
            }
            while let row = try rows.next() {
                let id: Int64 = row["id"], job: Int64 = row["job_id"], stage: Int = row["stage"]
                if let current = run, current.job != job || current.stage != stage
                    || current.first + Int64(current.tasks.count) != id || current.tasks.count == PlanChunk.capacity {
                    try flush()
                }
                let spec: Data = row["spec"]
                let task = PlannedTask(
                    index: row["idx"], label: row["label"], spec: [UInt8](spec),
                    inputBytes: UInt64(max(0, row["input_bytes"] as Int64)))
                if run == nil { run = (id, job, stage, []) }
                run?.tasks.append(task)
                let state: String = row["state"], failures: Int = row["failures"]
                if state != TaskState.queued.rawValue || failures != 0 {
                    try db.execute(
                        sql: "INSERT INTO task_states (id, job_id, state, failures) VALUES (?, ?, ?, ?)",
                        arguments: [id, job, state, failures])
                }
            }
            try flush()
            try db.execute(sql: "DROP TABLE tasks")
        }
        // Started and committed attempts go in runs, a batch per row (`AttemptRun`): a row written at the start
        // and updated at the end of every attempt was 2.5–3.5 µs per task on the store's thread (`shoal-bench
        // store`, 2026-12-07). `attempts` keeps the attempts that ended otherwise, and committed ones written
        // before. Attempts still running when an older coordinator stopped move into started runs.
        migrator.registerMigration("v8: attempts in runs") { db in
            try db.execute(sql: """
                CREATE TABLE attempt_runs (
                    id INTEGER PRIMARY KEY,
                    job_id INTEGER NOT NULL, kind INTEGER NOT NULL, worker TEXT NOT NULL, at REAL NOT NULL,
                    first_task INTEGER NOT NULL, last_task INTEGER NOT NULL, attempts BLOB NOT NULL);
                CREATE INDEX attempt_runs_by_job ON attempt_runs (job_id, first_task);
                """)
            var runs: [(job: Int64, worker: String, at: Double, builder: AttemptRun.Builder)] = []
            for row in try Row.fetchAll(db, sql: """
                    SELECT task_id, attempt, job_id, worker, speculative, started_at FROM attempts WHERE ending IS NULL
                    ORDER BY job_id, worker, started_at, task_id, attempt
                    """) {
                let job: Int64 = row["job_id"], worker: String = row["worker"], at: Double = row["started_at"]
                if runs.last.map({ $0.job != job || $0.worker != worker || $0.at != at }) ?? true {
                    runs.append((job, worker, at, AttemptRun.Builder()))
                }
                runs[runs.count - 1].builder.add(AttemptRun.Started(
                    task: row["task_id"], attempt: row["attempt"], speculative: row["speculative"]))
            }
            for run in runs {
                try db.execute(
                    sql: """
                        INSERT INTO attempt_runs (job_id, kind, worker, at, first_task, last_task, attempts)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        run.job, AttemptRun.Kind.started.rawValue, run.worker, run.at, run.builder.firstTask,
                        run.builder.lastTask, Data(run.builder.bytes),
                    ])
            }
            try db.execute(sql: "DELETE FROM attempts WHERE ending IS NULL")
        }
        return migrator
    }
}
