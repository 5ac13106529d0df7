#include "shoal_sqlite.h"

#include <sqlite3.h>

int shoal_sqlite_enable_qpsg(void *db) {
    int enabled = 0;
    return sqlite3_db_config((sqlite3 *)db, SQLITE_DBCONFIG_ENABLE_QPSG, 1, &enabled);
}
