/*
 * call-pair: what one ScanCode's two procedure calls cost MariaDB, called the way the service calls them.
 *
 *   mkdir -p var && cc -O2 -o var/call-pair bench/call-pair.c $(mariadb_config --cflags --libs) -lpthread
 *   var/call-pair SOCKET DATABASE PAIRS CLIENTS
 *
 * CLIENTS connections (threads) share PAIRS pairs. Each pair is one prepared CALL of
 * Sp_3Pay_Offline_ReceiveMoney_Begin for a new bill (binary protocol, with a lease token, as the responder sends
 * it), the record's autoid taken from its answer, and one prepared CALL of _QrIssued for it; every answer is read
 * to the end. Prints the pairs per second and mariadbd's CPU per pair, read from /proc/<pid>/stat of the server
 * whose pid file (mariadb.pid) sits beside SOCKET, as scripts/mariadb.sh lays out its state folder.
 *
 * A tool for DBAs comparing versions of the procedures: load each version into its own database on one server and
 * alternate runs (bench/README.md, "The ScanCode without rules"). It writes bills numbered C<pid><client><n> with
 * billtype 1 into DATABASE; use a scratch database.
 */
#include <mysql.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *socket_path, *database;
static long pairs_per_client;

/* utime + stime of a process, in clock ticks; -1 when it cannot be read. */
static long process_ticks(long pid) {
    char path[64], text[4096];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *file = fopen(path, "r");
    if (!file) return -1;
    size_t length = fread(text, 1, sizeof text - 1, file);
    fclose(file);
    text[length] = 0;
    char *field = strrchr(text, ')'); /* the command name may hold spaces: fields start after its ')' */
    if (!field) return -1;
    long utime = -1, stime = -1;
    /* After ')': state is field 3 of stat(5); utime is field 14, stime field 15. */
    int number = 2;
    for (char *token = strtok(field + 1, " "); token; token = strtok(NULL, " ")) {
        number++;
        if (number == 14) utime = atol(token);
        if (number == 15) { stime = atol(token); break; }
    }
    return utime < 0 || stime < 0 ? -1 : utime + stime;
}

static void fail(const char *what, const char *why) {
    fprintf(stderr, "call-pair: %s: %s\n", what, why);
    exit(1);
}

static MYSQL_STMT *prepare(MYSQL *connection, const char *sql) {
    MYSQL_STMT *statement = mysql_stmt_init(connection);
    if (!statement || mysql_stmt_prepare(statement, sql, strlen(sql))) fail(sql, mysql_error(connection));
    return statement;
}

static void bind_text(MYSQL_BIND *bind, const char *text, unsigned long *length) {
    memset(bind, 0, sizeof *bind);
    if (!text) { bind->buffer_type = MYSQL_TYPE_NULL; return; }
    *length = strlen(text);
    bind->buffer_type = MYSQL_TYPE_STRING;
    bind->buffer = (void *)text;
    bind->buffer_length = *length;
    bind->length = length;
}

static void bind_integer(MYSQL_BIND *bind, long long *value) {
    memset(bind, 0, sizeof *bind);
    bind->buffer_type = MYSQL_TYPE_LONGLONG;
    bind->buffer = value;
}

/* Reads every result set of an executed CALL; returns the text of column `wanted` of the first row that has it
 * (into `value`, empty when none). */
static void drain(MYSQL_STMT *statement, const char *wanted, char *value, size_t size) {
    value[0] = 0;
    do {
        unsigned columns = mysql_stmt_field_count(statement);
        if (columns == 0) continue;
        MYSQL_RES *metadata = mysql_stmt_result_metadata(statement);
        MYSQL_FIELD *fields = mysql_fetch_fields(metadata);
        MYSQL_BIND binds[64];
        char buffers[64][64];
        unsigned long lengths[64];
        my_bool nulls[64];
        if (columns > 64) fail("drain", "more than 64 columns");
        memset(binds, 0, sizeof binds);
        for (unsigned i = 0; i < columns; i++) {
            binds[i].buffer_type = MYSQL_TYPE_STRING;
            binds[i].buffer = buffers[i];
            binds[i].buffer_length = sizeof buffers[i];
            binds[i].length = &lengths[i];
            binds[i].is_null = &nulls[i];
        }
        if (mysql_stmt_bind_result(statement, binds)) fail("bind result", mysql_stmt_error(statement));
        int status;
        while ((status = mysql_stmt_fetch(statement)) == 0 || status == MYSQL_DATA_TRUNCATED) {
            for (unsigned i = 0; i < columns; i++) {
                if (value[0] || nulls[i] || strcmp(fields[i].name, wanted) != 0) continue;
                size_t length = lengths[i] < sizeof buffers[i] ? lengths[i] : sizeof buffers[i] - 1;
                if (length >= size) length = size - 1;
                memcpy(value, buffers[i], length);
                value[length] = 0;
            }
        }
        mysql_free_result(metadata);
    } while (mysql_stmt_next_result(statement) == 0);
}

static void *client(void *argument) {
    long index = (long)argument;
    MYSQL *connection = mysql_init(NULL);
    if (!mysql_real_connect(connection, NULL, NULL, NULL, database, 0, socket_path, CLIENT_MULTI_RESULTS))
        fail("connect", mysql_error(connection));
    MYSQL_STMT *begin = prepare(connection, "CALL Sp_3Pay_Offline_ReceiveMoney_Begin(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    MYSQL_STMT *issued = prepare(connection, "CALL Sp_3Pay_Offline_ReceiveMoney_QrIssued(?, ?, ?, ?)");
    long long validity = 900, lease = 20000, autoid = 0;
    for (long n = 0; n < pairs_per_client; n++) {
        char billnum[40], token[64], text[64];
        /* 19 characters: Begin takes bill numbers of at most 20. */
        snprintf(billnum, sizeof billnum, "C%07ld%03ld%08ld", (long)getpid() % 10000000, index % 1000, n % 100000000);
        snprintf(token, sizeof token, "call-pair-%ld-%ld-%ld", (long)getpid(), index, n);
        const char *texts[8] = {billnum, "1", "Bench ticket", "01", "0.01", NULL, "127.0.0.1", NULL};
        MYSQL_BIND binds[11];
        unsigned long lengths[11];
        for (int i = 0; i < 8; i++) bind_text(&binds[i], texts[i], &lengths[i]);
        binds[4].buffer_type = MYSQL_TYPE_NEWDECIMAL;
        bind_integer(&binds[8], &validity);
        bind_text(&binds[9], token, &lengths[9]);
        bind_integer(&binds[10], &lease);
        if (mysql_stmt_bind_param(begin, binds) || mysql_stmt_execute(begin)) fail("Begin", mysql_stmt_error(begin));
        drain(begin, "autoid", text, sizeof text);
        autoid = atoll(text);
        if (autoid <= 0) fail("Begin", "no autoid in its answer");

        MYSQL_BIND issue[4];
        unsigned long issue_lengths[4];
        bind_integer(&issue[0], &autoid);
        bind_text(&issue[1], "https://qr.alipay.com/callpair", &issue_lengths[1]);
        bind_integer(&issue[2], &validity);
        bind_text(&issue[3], token, &issue_lengths[3]);
        if (mysql_stmt_bind_param(issued, issue) || mysql_stmt_execute(issued))
            fail("QrIssued", mysql_stmt_error(issued));
        drain(issued, "status", text, sizeof text);
        if (strcmp(text, "QR_ISSUED") != 0) fail("QrIssued", "the record is not QR_ISSUED");
    }
    mysql_stmt_close(begin);
    mysql_stmt_close(issued);
    mysql_close(connection);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: %s SOCKET DATABASE PAIRS CLIENTS\n", argv[0]);
        return 2;
    }
    socket_path = argv[1];
    database = argv[2];
    long pairs = atol(argv[3]), clients = atol(argv[4]);
    if (pairs < 1 || pairs > 99999999 || clients < 1 || clients > 999)
        fail("arguments", "PAIRS 1-99999999 and CLIENTS 1-999");
    pairs_per_client = (pairs + clients - 1) / clients;

    char pid_path[4096];
    const char *slash = strrchr(socket_path, '/');
    snprintf(pid_path, sizeof pid_path, "%.*s/mariadb.pid", slash ? (int)(slash - socket_path) : 1,
             slash ? socket_path : ".");
    FILE *pid_file = fopen(pid_path, "r");
    long server = 0;
    if (!pid_file || fscanf(pid_file, "%ld", &server) != 1) fail(pid_path, "no server pid");
    fclose(pid_file);

    if (mysql_library_init(0, NULL, NULL)) fail("libmariadb", "cannot initialise");
    pthread_t *threads = calloc((size_t)clients, sizeof *threads);
    struct timespec start, end;
    long before = process_ticks(server);
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (long i = 0; i < clients; i++) pthread_create(&threads[i], NULL, client, (void *)i);
    for (long i = 0; i < clients; i++) pthread_join(threads[i], NULL);
    clock_gettime(CLOCK_MONOTONIC, &end);
    long after = process_ticks(server);
    free(threads);
    mysql_library_end();
    if (before < 0 || after < 0) fail(pid_path, "cannot read the server's CPU time");

    double seconds = (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9;
    long done = pairs_per_client * clients;
    double cpu_ms = (double)(after - before) * 1000.0 / (double)sysconf(_SC_CLK_TCK);
    printf("%ld pairs in %.2f s: %.0f pairs/s, mariadbd %.3f ms CPU per pair\n", done, seconds, done / seconds,
           cpu_ms / (double)done);
    return 0;
}
