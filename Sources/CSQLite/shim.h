#include <sqlite3.h>

// sqlite3_config is variadic, which Swift cannot call. Memory statistics take a global mutex on
// every allocation (12% of an import's time in perf); rlhf never reads them, so they are switched
// off before SQLite initialises.
static inline int rlhf_sqlite3_disable_memstatus(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
