// What a SQLite commit costs on this machine with nothing around it: one insert into a table with
// two extra indexes and one update per row, in WAL mode with synchronous=NORMAL (no fsync at
// commit, as the ledger), ROWS rows per transaction. See BENCHMARKS.md.
//
//   cc -O2 scripts/sqlite-commit-floor.c -lsqlite3 -o /tmp/sqlite-commit-floor
//   /tmp/sqlite-commit-floor ROWS [FILE]      (FILE defaults to /tmp/sqlite-commit-floor.db)
//
// Variations, each measured against the default (environment variables):
//   PAGE_SIZE=N    the database's page size in bytes (default SQLite's, 4096)
//   INDEXES=N      extra indexes on the inserted table, 0 to 4 (default 2)
//   PREPARE=each   prepare both statements for every row instead of once
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
static const char *env(const char *name, const char *fallback) { const char *v = getenv(name); return v && *v ? v : fallback; }
int main(int argc, char **argv) {
    if (argc < 2 || atoi(argv[1]) < 1) { fprintf(stderr, "usage: %s ROWS-PER-TRANSACTION [FILE]\n", argv[0]); return 2; }
    int rows = atoi(argv[1]), n = 40000, indexes = atoi(env("INDEXES", "2")), page = atoi(env("PAGE_SIZE", "4096"));
    int prepareEach = strcmp(env("PREPARE", "once"), "each") == 0;
    sqlite3 *db; sqlite3_stmt *ins = 0, *up = 0;
    const char *path = argc > 2 ? argv[2] : "/tmp/sqlite-commit-floor.db";
    const char *insertSQL = "insert into t values(?, 'r1', ?, ?, ?, ?)", *updateSQL = "update r set n = n + 1, h = ? where id = 'r1'";
    static const char *indexSQL[] = {"create index t1 on t(run, t)", "create index t2 on t(t)", "create index t3 on t(a, b)", "create index t4 on t(c)"};
    char side[4096];
    remove(path); snprintf(side, sizeof side, "%s-wal", path); remove(side); snprintf(side, sizeof side, "%s-shm", path); remove(side);
    if (sqlite3_open(path, &db) != SQLITE_OK) { fprintf(stderr, "cannot open %s\n", path); return 1; }
    snprintf(side, sizeof side, "pragma page_size=%d;", page);
    sqlite3_exec(db, side, 0, 0, 0);
    sqlite3_exec(db, "pragma journal_mode=wal; pragma synchronous=normal;"
        "create table t(id text primary key, run text, a int, b int, c text, t int);"
        "create table r(id text primary key, n int, h text); insert into r values('r1', 0, 'x');", 0, 0, 0);
    for (int i = 0; i < indexes && i < 4; i++) sqlite3_exec(db, indexSQL[i], 0, 0, 0);
    char id[32], text[65]; memset(text, 'x', 64); text[64] = 0;
    double start = now();
    for (int i = 0; i < n; i++) {
        if (!ins || prepareEach) {
            if (ins) { sqlite3_finalize(ins); sqlite3_finalize(up); }
            sqlite3_prepare_v2(db, insertSQL, -1, &ins, 0);
            sqlite3_prepare_v2(db, updateSQL, -1, &up, 0);
        }
        if (i % rows == 0) sqlite3_exec(db, "begin immediate", 0, 0, 0);
        snprintf(id, sizeof id, "led_%012d", i);
        sqlite3_bind_text(ins, 1, id, -1, SQLITE_TRANSIENT); sqlite3_bind_int(ins, 2, i); sqlite3_bind_int(ins, 3, i);
        sqlite3_bind_text(ins, 4, text, -1, SQLITE_STATIC); sqlite3_bind_int(ins, 5, i);
        sqlite3_step(ins); sqlite3_reset(ins);
        sqlite3_bind_text(up, 1, id, -1, SQLITE_TRANSIENT); sqlite3_step(up); sqlite3_reset(up);
        if (i % rows == rows - 1) sqlite3_exec(db, "commit", 0, 0, 0);
    }
    double seconds = now() - start;
    printf("%2d rows per transaction (page %d, %d indexes, prepared %s): %5.1f µs per row, %6.0f rows/s\n",
        rows, page, indexes, prepareEach ? "per row" : "once", seconds / n * 1e6, n / seconds);
}
