#ifndef SHOAL_SQLITE_H
#define SHOAL_SQLITE_H

/// Turns on SQLite's query planner stability guarantee (SQLITE_DBCONFIG_ENABLE_QPSG) for the connection `db`
/// (a `sqlite3 *`). Returns SQLite's result code.
///
/// Without it, a statement whose WHERE clause compares a bound parameter is marked expired whenever that
/// parameter is bound again, and re-parsed at its next step: the coordinator's per-task UPDATEs were compiled
/// afresh on every run. `sqlite3_db_config` is variadic, which Swift cannot call: hence this C function.
int shoal_sqlite_enable_qpsg(void *db);

#endif
