import Foundation
import GRDB
import ShoalProtocol

extension StateStore {
    /// Persists what a batch of scheduler directives changes, in one transaction. Directives that only send
    /// messages (cancel, dismiss) change nothing here.
    public func apply(_ directives: [SchedulerDirective], now: Date = Date()) throws {
        guard directives.contains(where: Self.persists) else { return }
        let time = now.timeIntervalSince1970
        try database.write { db in
            for directive in directives {
                switch directive {
                case .start(let worker, let attempts):
                    let insertAttempt = try db.cachedStatement(sql: """
                        INSERT OR REPLACE INTO attempts (task_id, attempt, job_id, worker, speculative, started_at)
                        VALUES (?, ?, ?, ?, ?, ?)
                        """)
                    let updateTask = try db.cachedStatement(
                        sql: "UPDATE tasks SET state = 'running', last_attempt = MAX(last_attempt, ?) WHERE id = ?")
                    let startJob = try db.cachedStatement(
                        sql: "UPDATE jobs SET state = 'running', started_at = ? WHERE id = ? AND state = 'queued'")
                    for attempt in attempts {
                        try insertAttempt.execute(arguments: [
                            attempt.task.taskID, attempt.task.attempt, attempt.job, worker, attempt.speculative, time,
                        ])
                        try updateTask.execute(arguments: [attempt.task.attempt, attempt.task.taskID])
                        try startJob.execute(arguments: [time, attempt.job])
                    }
                case .attemptEnded(let record):
                    try db.cachedStatement(sql: """
                        UPDATE attempts SET ended_at = ?, ending = ?, error = ?, exit_status = ?, signal = ?,
                            log_tail = ?, runtime_ms = ?
                        WHERE task_id = ? AND attempt = ?
                        """).execute(arguments: [
                            time, record.ending.rawValue, record.error, record.exitStatus, record.signal,
                            record.logTail, record.runtime.milliseconds, record.task.taskID, record.task.attempt,
                        ])
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
                    try db.cachedStatement(sql: "UPDATE tasks SET state = ?, failures = ? WHERE id = ?")
                        .execute(arguments: [state.rawValue, failures, task])
                case .jobChanged(let job, let state, let error):
                    try db.cachedStatement(sql: """
                        UPDATE jobs SET state = ?, error = ?,
                            finished_at = CASE WHEN ? THEN ? ELSE finished_at END
                        WHERE id = ?
                        """).execute(arguments: [state.rawValue, error, state.isTerminal, time, job])
                case .commit, .cancel, .workerJoined, .workerLeft, .dismiss:
                    break
                }
            }
        }
    }

    static func persists(_ directive: SchedulerDirective) -> Bool {
        switch directive {
        case .start, .attemptEnded, .taskChanged, .jobChanged: true
        case .commit, .cancel, .workerJoined, .workerLeft, .dismiss: false
        }
    }
}
