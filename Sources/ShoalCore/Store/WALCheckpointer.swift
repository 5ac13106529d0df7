import Foundation
import GRDB
import GRDBSQLite
import Synchronization

/// Checkpoints the store's write-ahead log from a connection and a queue of its own, so that copying the log
/// into the database and its `fsync`s never hold up the store's queue.
///
/// SQLite's automatic checkpoint runs inside the commit that crosses 1,000 pages of log: on the scheduling
/// benchmark that stalled the store's queue for ~10 ms more than once per 20,000-task job, and the messages of
/// every batch queued behind it with it — the workers ran out of tasks. The writer's automatic checkpoint is off
/// (`wal_autocheckpoint = 0`); its WAL hook (`sqlite3_wal_hook`, after each commit) asks for a checkpoint here
/// each time the log grew by `interval` pages. A passive checkpoint copies what is committed while the writer
/// goes on appending; the writer starts the log afresh at its next transaction once everything was copied.
/// Under sustained load that moment may not come, so past `restartPages` a restart checkpoint waits for the
/// writer's current transaction, copies the few pages left and makes the next transaction start the log afresh.
///
/// Durability is SQLite's: a checkpoint only copies committed pages, and a crash in the middle of one is
/// recovered from the log at the next open.
final class WALCheckpointer: Sendable {
    /// Log growth (pages of 4 KiB) that asks for a checkpoint: 1,000, SQLite's own default.
    let interval: Int
    /// Log length (pages) past which a checkpoint also makes the writer start the log afresh: 16,384 (64 MiB).
    let restartPages: Int

    private struct State {
        var running = false
        /// The log's length when the last checkpoint was asked for.
        var askedAt = 0
        /// The log's length after the last commit.
        var walPages = 0
        var checkpoints = 0
        var restarts = 0
        var lastError: String?
    }

    private let connection: DatabaseQueue
    private let state = Mutex(State())

    /// Opens the checkpointing connection on `path` (the database must exist).
    init(path: String, interval: Int = 1_000, restartPages: Int = 16_384) throws {
        self.interval = interval
        self.restartPages = restartPages
        var configuration = Configuration()
        // A restart checkpoint waits this long for the writer's transaction (milliseconds each) and the readers.
        configuration.busyMode = .timeout(1)
        configuration.label = "shoal.checkpointer"
        connection = try DatabaseQueue(path: path, configuration: configuration)
    }

    /// Registers the WAL hook on the writer's connection `db`. The hook holds the checkpointer until `detach`,
    /// which must run on the same connection, once.
    func attach(to db: Database) {
        sqlite3_wal_hook(db.sqliteConnection, walHook, Unmanaged.passRetained(self).toOpaque())
    }

    /// Removes the hook `attach` registered on `db` and lets the checkpointer go.
    func detach(from db: Database) {
        sqlite3_wal_hook(db.sqliteConnection, nil, nil)
        Unmanaged.passUnretained(self).release()
    }

    /// Checkpoints run and restart checkpoints among them, the last error one gave (`nil` when none failed), and
    /// the log's length in pages after the last commit.
    var counts: (checkpoints: Int, restarts: Int, lastError: String?, walPages: Int) {
        state.withLock { ($0.checkpoints, $0.restarts, $0.lastError, $0.walPages) }
    }

    /// Called by the WAL hook after each commit on the writer, with the log's length in pages.
    fileprivate func committed(walPages pages: Int) {
        let start = state.withLock { state -> Bool in
            // A log shorter than when last asked was started afresh.
            state.walPages = pages
            if pages < state.askedAt { state.askedAt = 0 }
            guard !state.running, pages - state.askedAt >= interval else { return false }
            state.running = true
            state.askedAt = pages
            return true
        }
        if start { connection.asyncWriteWithoutTransaction { [self] db in checkpoint(db) } }
    }

    /// Queues a checkpoint whatever the log's length (checkpoints run one after another).
    func requestCheckpoint() {
        connection.asyncWriteWithoutTransaction { [self] db in checkpoint(db) }
    }

    /// Waits for the checkpoints queued so far.
    func waitForCheckpoint() {
        connection.writeWithoutTransaction { _ in }
    }

    private func checkpoint(_ db: Database) {
        var restarted = false
        var failure: String?
        do {
            let (log, _) = try db.checkpoint(.passive)
            if log >= restartPages {
                _ = try db.checkpoint(.restart)
                restarted = true
            }
        } catch {
            // Busy (the writer held on past the timeout): the next request tries again.
            failure = "\(error)"
        }
        state.withLock { state in
            state.running = false
            state.checkpoints += 1
            if restarted {
                state.restarts += 1
                state.askedAt = 0
            }
            if let failure { state.lastError = failure }
        }
    }
}

/// `sqlite3_wal_hook`'s callback: `context` is the `WALCheckpointer`.
private func walHook(
    _ context: UnsafeMutableRawPointer?, _ db: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ pages: Int32
) -> Int32 {
    if let context {
        Unmanaged<WALCheckpointer>.fromOpaque(context).takeUnretainedValue().committed(walPages: Int(pages))
    }
    return SQLITE_OK
}
