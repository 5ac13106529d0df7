import Foundation
import GRDB
@testable import ShoalCore
import ShoalTestSupport
import Testing

/// The store's checkpoints run on a connection of their own (`WALCheckpointer`): what the writer committed reaches
/// the database file, and the log starts afresh, without the writer checkpointing.
@Suite struct WALCheckpointerTests {
    /// A writer as the store opens it: WAL, no automatic checkpoint.
    static func writer(_ path: String) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.journalMode = .wal
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA wal_autocheckpoint = 0") }
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        try queue.write { db in try db.execute(sql: "CREATE TABLE rows (id INTEGER PRIMARY KEY, payload BLOB)") }
        return queue
    }

    /// Writes `transactions` transactions of 64 rows of 1 KiB (about 16 pages each).
    static func fill(_ writer: DatabaseQueue, transactions: Int, from first: Int = 0) throws {
        let payload = Data(repeating: 0xAB, count: 1_024)
        for transaction in 0..<transactions {
            try writer.write { db in
                for row in 0..<64 {
                    try db.execute(sql: "INSERT INTO rows (id, payload) VALUES (?, ?)",
                                   arguments: [first + transaction * 64 + row, payload])
                }
            }
        }
    }

    /// Rows in the database file alone, the log left out (a copy of the file, opened without its WAL).
    static func rowsInDatabaseFile(_ path: String, directory: TemporaryDirectory) throws -> Int {
        let copy = directory.path("copy.sqlite")
        try? FileManager.default.removeItem(atPath: copy)
        try FileManager.default.copyItem(atPath: path, toPath: copy)
        let reader = try DatabaseQueue(path: copy)
        return try reader.read { db in
            // Not even the table, when nothing was ever copied.
            try db.tableExists("rows") ? Int.fetchOne(db, sql: "SELECT COUNT(*) FROM rows") ?? -1 : 0
        }
    }

    @Test func committedPagesReachTheDatabaseFileThroughTheCheckpointer() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("state.sqlite")
        let writer = try Self.writer(path)
        let checkpointer = try WALCheckpointer(path: path, interval: 100, restartPages: 1_000_000)
        writer.writeWithoutTransaction { db in checkpointer.attach(to: db) }
        defer { writer.writeWithoutTransaction { db in checkpointer.detach(from: db) } }
        try Self.fill(writer, transactions: 20)  // ~320 pages: a checkpoint is asked for at least once
        checkpointer.waitForCheckpoint()
        let counts = checkpointer.counts
        #expect(counts.checkpoints >= 1)
        #expect(counts.lastError == nil)
        // Every row of the transactions before the last request is in the file: at least the first 100 pages'.
        let inFile = try Self.rowsInDatabaseFile(path, directory: directory)
        #expect(inFile >= 64 * 6)
        #expect(inFile <= 64 * 20)
    }

    @Test func withoutTheCheckpointerTheDatabaseFileStaysBehind() throws {
        // The control for the test above: the writer alone (automatic checkpoints off) copies nothing.
        let directory = try TemporaryDirectory()
        let path = directory.path("state.sqlite")
        let writer = try Self.writer(path)
        try Self.fill(writer, transactions: 20)
        #expect(try Self.rowsInDatabaseFile(path, directory: directory) == 0)
    }

    /// After a checkpoint that copied everything (passive, the writer idle) or a restart checkpoint (the log long
    /// enough), the writer's next transaction starts the log from its beginning.
    @Test(arguments: [false, true])
    func theLogStartsAfreshOnceCheckpointed(restart: Bool) throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("state.sqlite")
        let writer = try Self.writer(path)
        // Only the checkpoints asked for below: the hook asks for none within a round of ~160 pages.
        let checkpointer = try WALCheckpointer(path: path, interval: 1_000, restartPages: restart ? 1 : 1_000_000)
        writer.writeWithoutTransaction { db in checkpointer.attach(to: db) }
        defer { writer.writeWithoutTransaction { db in checkpointer.detach(from: db) } }
        var longest = 0
        for round in 0..<4 {
            try Self.fill(writer, transactions: 10, from: round * 640)
            longest = max(longest, checkpointer.counts.walPages)
            checkpointer.requestCheckpoint()
            checkpointer.waitForCheckpoint()
        }
        try Self.fill(writer, transactions: 1, from: 100_000)
        let counts = checkpointer.counts
        #expect(longest >= 150)  // the log grew over each round
        #expect(counts.walPages < 40)  // and the commit after a full checkpoint started it afresh
        #expect(counts.lastError == nil)
        #expect(counts.restarts == (restart ? counts.checkpoints : 0))
        #expect(counts.checkpoints == 4)
        #expect(try writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM rows") } == 4 * 640 + 64)
        #expect(try Self.rowsInDatabaseFile(path, directory: directory) == 4 * 640)
    }
}
