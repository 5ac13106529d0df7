import Foundation
import GRDB
import ShoalProtocol

extension StateStore {
    /// Persists what a batch of scheduler directives changes, in one transaction. Directives that only send
    /// messages (cancel, dismiss) change nothing here.
    ///
    /// A started attempt is one row in `attempts`; the task row is not touched until the task's state changes
    /// for good (succeeded, failed, cancelled, queued again), and the reload takes a task's last attempt number
    /// from its attempt rows (`loadUnfinished`). So a task that succeeds first time costs three row writes.
    public func apply(_ directives: [SchedulerDirective], now: Date = Date()) throws {
        guard directives.contains(where: Self.persists) else { return }
        let time = now.timeIntervalSince1970
        try database.write { db in
            var startedJobs: Set<JobID> = []
            for directive in directives {
                switch directive {
                case .start(let worker, let attempts):
                    let insertAttempt = try RowWriter("""
                        INSERT OR REPLACE INTO attempts (task_id, attempt, job_id, worker, speculative, started_at)
                        VALUES (?, ?, ?, ?, ?, ?)
                        """, in: db)
                    for attempt in attempts {
                        try insertAttempt.run(
                            .id(attempt.task.taskID), .int(attempt.task.attempt), .id(attempt.job), .text(worker),
                            .bool(attempt.speculative), .real(time))
                        if startedJobs.insert(attempt.job).inserted {
                            try db.execute(
                                sql: "UPDATE jobs SET state = 'running', started_at = ? WHERE id = ? AND state = 'queued'",
                                arguments: [time, attempt.job])
                        }
                    }
                case .attemptEnded(let record):
                    try RowWriter("""
                        UPDATE attempts SET ended_at = ?, ending = ?, error = ?, exit_status = ?, signal = ?,
                            log_tail = ?, runtime_ms = ?
                        WHERE task_id = ? AND attempt = ?
                        """, in: db).run(
                            .real(time), .text(record.ending.rawValue), .text(record.error), .int(record.exitStatus),
                            .int(record.signal), .text(record.logTail), .integer(record.runtime.milliseconds),
                            .id(record.task.taskID), .int(record.task.attempt))
                    if !record.counters.isEmpty {
                        let add = try db.cachedStatement(sql: """
                            INSERT INTO counters (job_id, name, value) VALUES (?, ?, ?)
                            ON CONFLICT (job_id, name) DO UPDATE SET value = value + excluded.value
                            """)
                        for counter in record.counters {
                            try add.execute(arguments: [record.job, counter.name, counter.value])
                        }
                    }
                case .taskChanged(let task, _, let state, let failures):
                    try RowWriter("UPDATE tasks SET state = ?, failures = ? WHERE id = ?", in: db)
                        .run(.text(state.rawValue), .int(failures), .id(task))
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
        }
    }

    static func persists(_ directive: SchedulerDirective) -> Bool {
        switch directive {
        case .start, .attemptEnded, .taskChanged, .jobChanged: true
        case .commit, .cancel, .workerJoined, .workerLeft, .dismiss, .stageCompleted: false
        }
    }
}
