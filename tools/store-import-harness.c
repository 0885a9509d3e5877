// The SQL ceiling of `rlhf import preferences`: our import's statements, pragmas and chunking (64
// comparisons per multi-row INSERT, one transaction, deferred foreign keys) on N synthetic comparisons
// shaped like `rlhf bench store`'s, in plain C, with the time of each statement kind and of COMMIT.
// Not part of the build; for answering "where does the import's time go" and for trying a schema
// change before writing its migration (pass a modified copy of a migration instead of the real one).
//
//   cc -O2 -o /tmp/harness tools/store-import-harness.c -lsqlite3
//   /tmp/harness /tmp/h.sqlite 1000000 migrations/*.sql
//   WALL=1 /tmp/harness ...     wall-clock seconds instead of this thread's CPU seconds
//
// Texts are 12 random words from the bench's 16-word vocabulary; 50,000 prompts in turn. Hashes are a
// 32-byte mix of the text (not SHA-256: only their randomness matters to the b-trees).
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { CHUNK = 64, PROMPTS = 50000, TEXT = 128 };

static double seconds(void) {
    struct timespec t;
    clock_gettime(getenv("WALL") ? CLOCK_MONOTONIC : CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}
static void check(sqlite3 *db, int rc, const char *what) {
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) { fprintf(stderr, "%s: %s\n", what, sqlite3_errmsg(db)); exit(1); }
}
static void run(sqlite3 *db, const char *sql) {
    char *error = 0;
    if (sqlite3_exec(db, sql, 0, 0, &error)) { fprintf(stderr, "%.80s: %s\n", sql, error); exit(1); }
}
static uint64_t mix(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL; z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
static void hash(const char *s, int n, unsigned char *out) {
    uint64_t h = 1469598103934665603ULL;
    for (int i = 0; i < n; i++) { h ^= (unsigned char)s[i]; h *= 1099511628211ULL; }
    for (int i = 0; i < 4; i++) { uint64_t v = mix(&h); memcpy(out + 8 * i, &v, 8); }
}
static char *file(const char *path) {
    FILE *f = fopen(path, "rb"); if (!f) { perror(path); exit(1); }
    fseek(f, 0, SEEK_END); long n = ftell(f); fseek(f, 0, SEEK_SET);
    char *b = malloc(n + 1); if (fread(b, 1, n, f) != (size_t)n) exit(1); b[n] = 0; fclose(f);
    return b;
}

int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: %s DB N SCHEMA.sql...\n", argv[0]); return 2; }
    const char *path = argv[1]; int n = atoi(argv[2]);
    char name[1024];
    const char *suffixes[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) { snprintf(name, sizeof name, "%s%s", path, suffixes[i]); remove(name); }
    sqlite3 *db; check(db, sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, 0), "open");
    run(db, "PRAGMA foreign_keys=ON; PRAGMA page_size=16384; PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
            "PRAGMA cache_size=-1048576; PRAGMA temp_store=MEMORY");
    for (int i = 3; i < argc; i++) run(db, file(argv[i]));

    static const char *words[] = {"the", "a", "of", "kettle", "blue", "red", "good", "bad", "very", "quite", "fine",
                                  "works", "broke", "lovely", "awful", "tea", "water"};
    uint64_t seed = 1;
    char *texts = malloc((size_t)n * 2 * TEXT); int *lengths = malloc(sizeof(int) * 2 * n);
    unsigned char *hashes = malloc((size_t)n * 2 * 32);
    for (int i = 0; i < 2 * n; i++) {
        char *t = texts + (size_t)i * TEXT; int k = 0;
        for (int w = 0; w < 12; w++) { const char *x = words[mix(&seed) % 17]; if (w) t[k++] = ' '; memcpy(t + k, x, strlen(x)); k += strlen(x); }
        lengths[i] = k; hash(t, k, hashes + (size_t)i * 32);
    }
    static char prompts[PROMPTS][64]; static int promptLengths[PROMPTS]; static unsigned char promptHashes[PROMPTS][32];
    static sqlite3_int64 promptIDs[PROMPTS];
    for (int p = 0; p < PROMPTS; p++) { promptLengths[p] = snprintf(prompts[p], 64, "Write a review of item %d:", p); hash(prompts[p], promptLengths[p], promptHashes[p]); }
    const char *now = "2025-11-26T13:00:00.000Z", *source = "imported:synthetic-1000000.jsonl";

    run(db, "PRAGMA mmap_size=0");
    double start = seconds();
    run(db, "BEGIN IMMEDIATE; PRAGMA defer_foreign_keys=ON;"
            "INSERT INTO arrivals (origin, source, created_at) VALUES ('imported', 'import:synthetic-1000000.jsonl', 'x')");
    sqlite3_int64 arrival = sqlite3_last_insert_rowid(db);
    sqlite3_stmt *insertPrompt, *insertCompletions, *insertLabels, *insertRun;
    check(db, sqlite3_prepare_v2(db, "INSERT INTO prompts (text, hash, source, split, metadata, created_at) VALUES (?, ?, ?, NULL, '{}', ?) ON CONFLICT (hash) DO NOTHING", -1, &insertPrompt, 0), "prompts");
    char *sql = malloc(1 << 20); int k = sprintf(sql, "INSERT INTO completions (prompt_id, text, hash, created_at) VALUES ");
    for (int r = 0; r < 2 * CHUNK; r++) k += sprintf(sql + k, "%s(?%d, ?%d, ?%d, ?1)", r ? "," : "", 3 * r + 2, 3 * r + 3, 3 * r + 4);
    sprintf(sql + k, " ON CONFLICT (prompt_id, hash) DO NOTHING");
    check(db, sqlite3_prepare_v2(db, sql, -1, &insertCompletions, 0), "completions");
    k = sprintf(sql, "INSERT INTO labels (prompt_id, first_id, second_id, winner, tie_kind, strength, shown_first, annotator_id, source, external_id, created_at) VALUES ");
    for (int r = 0; r < CHUNK; r++) { k += sprintf(sql + k, "%s(", r ? "," : ""); for (int j = 0; j < 10; j++) k += sprintf(sql + k, "?%d, ", 10 * r + 2 + j); k += sprintf(sql + k, "?1)"); }
    sprintf(sql + k, " ON CONFLICT DO NOTHING");
    check(db, sqlite3_prepare_v2(db, sql, -1, &insertLabels, 0), "labels");

    double tPrompts = 0, tCompletions = 0, tLabels = 0;
    sqlite3_int64 ids[2 * CHUNK], firstNew = 0;
    for (int c0 = 0; c0 + CHUNK <= n; c0 += CHUNK) {
        double a = seconds();
        for (int i = 0; i < CHUNK; i++) {
            int p = (c0 + i) % PROMPTS; if (promptIDs[p]) continue;
            sqlite3_bind_text(insertPrompt, 1, prompts[p], promptLengths[p], SQLITE_STATIC);
            sqlite3_bind_blob(insertPrompt, 2, promptHashes[p], 32, SQLITE_STATIC);
            sqlite3_bind_text(insertPrompt, 3, "import:x", -1, SQLITE_STATIC);
            sqlite3_bind_text(insertPrompt, 4, now, -1, SQLITE_STATIC);
            check(db, sqlite3_step(insertPrompt), "prompt"); sqlite3_reset(insertPrompt);
            promptIDs[p] = sqlite3_last_insert_rowid(db);
        }
        double b = seconds(); tPrompts += b - a;
        sqlite3_bind_text(insertCompletions, 1, now, -1, SQLITE_STATIC);
        for (int i = 0; i < 2 * CHUNK; i++) {
            size_t r = (size_t)c0 * 2 + i; int x = 3 * i + 2;
            sqlite3_bind_int64(insertCompletions, x, promptIDs[(c0 + i / 2) % PROMPTS]);
            sqlite3_bind_text(insertCompletions, x + 1, texts + r * TEXT, lengths[r], SQLITE_STATIC);
            sqlite3_bind_blob(insertCompletions, x + 2, hashes + r * 32, 32, SQLITE_STATIC);
        }
        check(db, sqlite3_step(insertCompletions), "completions"); sqlite3_reset(insertCompletions);
        if (sqlite3_changes(db) != 2 * CHUNK) { fprintf(stderr, "a synthetic text repeated: use another seed\n"); return 1; }
        sqlite3_int64 last = sqlite3_last_insert_rowid(db);
        for (int i = 0; i < 2 * CHUNK; i++) ids[i] = last - 2 * CHUNK + 1 + i;
        if (!firstNew) firstNew = ids[0];
        double c = seconds(); tCompletions += c - b;
        sqlite3_bind_text(insertLabels, 1, now, -1, SQLITE_STATIC);
        for (int i = 0; i < CHUNK; i++) {
            int x = 10 * i + 2;
            sqlite3_bind_int64(insertLabels, x, promptIDs[(c0 + i) % PROMPTS]);
            sqlite3_bind_int64(insertLabels, x + 1, ids[2 * i]);
            sqlite3_bind_int64(insertLabels, x + 2, ids[2 * i + 1]);
            sqlite3_bind_text(insertLabels, x + 3, "first", -1, SQLITE_STATIC);
            for (int j = 4; j <= 7; j++) sqlite3_bind_null(insertLabels, x + j);
            sqlite3_bind_text(insertLabels, x + 8, source, -1, SQLITE_STATIC);
            sqlite3_bind_text(insertLabels, x + 9, "", 0, SQLITE_STATIC);
        }
        check(db, sqlite3_step(insertLabels), "labels"); sqlite3_reset(insertLabels);
        tLabels += seconds() - c;
    }
    // The import's provenance: one run over the completions it created (migration 0004).
    if (sqlite3_prepare_v2(db, "INSERT INTO completion_provenance_runs VALUES (?, ?, (SELECT max(id) FROM completions))", -1, &insertRun, 0) == SQLITE_OK) {
        sqlite3_bind_int64(insertRun, 1, arrival); sqlite3_bind_int64(insertRun, 2, firstNew);
        check(db, sqlite3_step(insertRun), "run");
    }
    double body = seconds();
    run(db, "COMMIT");
    double end = seconds();
    printf("{\"rows\":%d,\"%s_seconds\":{\"prompts\":%.2f,\"completions\":%.2f,\"labels\":%.2f,\"body\":%.2f,\"commit\":%.2f},\"rows_per_s\":%.0f}\n",
           n, getenv("WALL") ? "wall" : "cpu", tPrompts, tCompletions, tLabels, body - start, end - body, n / (end - start));
    return 0;
}
