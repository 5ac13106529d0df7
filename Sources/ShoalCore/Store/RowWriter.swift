import GRDB
import GRDBSQLite

/// Runs one of GRDB's cached statements through SQLite's C API: bind, step, reset — nothing else.
///
/// Written by hand for the per-task rows (an attempt started, an attempt ended, a task's new state, a planned
/// task), which a coordinator writes a few hundred thousand times a second under load. GRDB's
/// `StatementArguments` box every value in an existential and validate each execution; on those rows that was
/// more than half of the store's time in `perf`. Everything else in the store goes through GRDB.
struct RowWriter {
    private let statement: SQLiteStatement
    private let sql: String
    private let connection: SQLiteConnection?

    /// SQLite copies the bytes before `sqlite3_bind_*` returns (`SQLITE_TRANSIENT`).
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    init(_ sql: String, in db: Database) throws {
        let cached = try db.cachedStatement(sql: sql)
        statement = cached.sqliteStatement
        self.sql = sql
        connection = db.sqliteConnection
    }

    /// Binds `values` to the statement's parameters in order, runs it to completion and resets it.
    /// - Throws: `DatabaseError` with SQLite's message and the statement.
    func run(_ values: RowValue...) throws {
        try run(values)
    }

    /// `run` with the values in an array.
    func run(_ values: [RowValue]) throws {
        defer {
            // Every parameter is bound again by the next run: no `sqlite3_clear_bindings`.
            sqlite3_reset(statement)
        }
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let code: Int32
            switch value {
            case .integer(let number): code = sqlite3_bind_int64(statement, index, number)
            case .real(let number): code = sqlite3_bind_double(statement, index, number)
            case .text(let text):
                var text = text
                code = text.withUTF8 { bytes in
                    bytes.withMemoryRebound(to: CChar.self) { characters in
                        // An empty string is bound as "", not as NULL (which a nil pointer would mean).
                        guard let base = characters.baseAddress else { return sqlite3_bind_text(statement, index, "", 0, nil) }
                        return sqlite3_bind_text(statement, index, base, Int32(characters.count), Self.transient)
                    }
                }
            case .blob(let bytes):
                code = bytes.withUnsafeBytes { buffer in
                    guard let base = buffer.baseAddress else { return sqlite3_bind_zeroblob(statement, index, 0) }
                    return sqlite3_bind_blob(statement, index, base, Int32(buffer.count), Self.transient)
                }
            case .null: code = sqlite3_bind_null(statement, index)
            }
            try check(code)
        }
        let code = sqlite3_step(statement)
        guard code == SQLITE_DONE || code == SQLITE_ROW else { return try check(code) }
    }

    private func check(_ code: Int32) throws {
        guard code != SQLITE_OK && code != SQLITE_DONE else { return }
        let message = connection.map { String(cString: sqlite3_errmsg($0)) } ?? "SQLite error \(code)"
        throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: sql)
    }
}

/// Rows of one table written by multi-row statements (`INSERT ... VALUES (...), (...), ...`), `rowsPerStatement`
/// at a time: SQLite's cost per statement run (bind, step, halt, reset) is paid once per batch instead of per row,
/// which halved the store's time per task (`shoal-bench store`).
///
/// `prefix` ends with `VALUES `, `row` is one row's placeholders — `(?, ?, ?)` — and `suffix` follows the rows
/// (an `ON CONFLICT` clause, or nothing). Rows are written in the order they were added; `flush()` writes the rest.
struct RowBatchWriter {
    static let rowsPerStatement = 64
    private let prefix: String
    private let row: String
    private let suffix: String
    /// The statement for a full batch, built once (joining the rows' text per statement showed in `perf`).
    private let fullSQL: String
    private let db: Database
    private let leading: [RowValue]
    private var values: [RowValue]
    private var rows = 0

    /// `leading` values are bound first, to parameters the prefix numbers `?1`, `?2`, … (the rows' plain `?`s
    /// then number on from there).
    init(prefix: String, row: String, suffix: String = "", leading: [RowValue] = [], in db: Database) {
        self.leading = leading
        values = leading
        self.prefix = prefix
        self.row = row
        self.suffix = suffix
        self.db = db
        fullSQL = Self.sql(prefix: prefix, row: row, suffix: suffix, rows: Self.rowsPerStatement)
    }

    private static func sql(prefix: String, row: String, suffix: String, rows: Int) -> String {
        var sql = prefix
        sql.reserveCapacity(prefix.utf8.count + rows * (row.utf8.count + 2) + suffix.utf8.count)
        for index in 0..<rows {
            if index > 0 { sql += ", " }
            sql += row
        }
        return sql + suffix
    }

    /// Adds a row; writes a full statement's worth when there is one.
    mutating func add(_ row: RowValue...) throws {
        values.append(contentsOf: row)
        rows += 1
        if rows == Self.rowsPerStatement { try flush() }
    }

    /// Writes the rows added since the last statement.
    mutating func flush() throws {
        guard rows > 0 else { return }
        // One cached statement per row count: full batches reuse theirs, a job's last partial one adds one more.
        let sql = rows == Self.rowsPerStatement
            ? fullSQL : Self.sql(prefix: prefix, row: row, suffix: suffix, rows: rows)
        try RowWriter(sql, in: db).run(values)
        values.removeAll(keepingCapacity: true)
        values.append(contentsOf: leading)
        rows = 0
    }
}

/// A value for `RowWriter.run`.
enum RowValue {
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
    case null

    /// An id or count; SQLite integers are signed 64-bit, and every id the store hands out fits.
    static func id(_ value: UInt64) -> RowValue { .integer(Int64(bitPattern: value)) }
    static func int(_ value: some BinaryInteger) -> RowValue { .integer(Int64(value)) }
    static func bool(_ value: Bool) -> RowValue { .integer(value ? 1 : 0) }
    /// Text, or NULL for none (an attempt's empty error or log tail: no copy into SQLite, no bytes in the row).
    static func nonEmpty(_ text: String) -> RowValue { text.isEmpty ? .null : .text(text) }
}
