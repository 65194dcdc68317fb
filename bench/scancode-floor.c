/*
 * scancode-floor: the least work a ScanCode can be, written straight on the C libraries ThreePay is built on,
 * for the benchmark's floor line "a ScanCode without rules". It is not part of ThreePay.
 *
 *   scancode-floor SOCKET_PATH THREADS
 *
 * For each FastCGI request (a ScanCode JSON body as bench/scancode.lua sends it) one thread does what a ScanCode
 * cannot do without, each step in the cheapest way the library offers:
 *   1. reads the body and takes `billnum` and `paymentvalue` out of it (no JSON parser: two string searches);
 *   2. one text-protocol CALL of the procedure floor's Floor_Begin (libmariadb), the autoid from its row;
 *   3. alipay.trade.precreate to the gateway: the canonical string, one RSA-2048 SHA-256 signature (OpenSSL
 *      EVP, a digest context kept per thread), the form body escaped by libcurl, one POST on the thread's
 *      kept-alive curl handle;
 *   4. the reply's signature checked with the gateway's public key over the exact bytes of the response node,
 *      code 10000 and qr_code taken out by string search;
 *   5. one text-protocol CALL of Floor_QrIssued;
 *   6. the envelope {errcode, errmsg, tag:{billnum, autoid, codeurl}}.
 * There is no validation, no content negotiation, no retry, no deadline, no log line: what it costs per request is
 * what libfcgi, libmariadb, libcurl and OpenSSL cost for one ScanCode's trips and crypto. Any failure answers
 * errcode 9 with the step's name, so the bench counts it.
 *
 * Settings from the environment (scripts/bench.sh sets them from the stack's own):
 *   FLOOR_DB_SOCKET, FLOOR_DB_USER, FLOOR_DB_SCHEMA    MariaDB's unix socket, its user (socket authentication),
 *                                                      and the schema that holds the two floor procedures
 *   FLOOR_GATEWAY, FLOOR_APP_ID, FLOOR_NOTIFY_URL       as the responder's THREEPAY_ALIPAY_* settings
 *   FLOOR_APP_PRIVATE_KEY, FLOOR_ALIPAY_PUBLIC_KEY      PEM files
 *
 * scripts/bench.sh builds it with `cc ... -lfcgi -lmariadb -lcurl -lcrypto -lpthread` (Debian's libfcgi-dev,
 * libmariadb-dev, libcurl4-openssl-dev, libssl-dev). SIGTERM or SIGINT ends it.
 */
#include <curl/curl.h>
#include <mysql.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <time.h>

#include "floor-responder.h"

static int listen_fd = -1;
static const char *db_socket, *db_user, *db_schema, *gateway, *app_id, *notify_url;
static EVP_PKEY *app_key, *alipay_key;

/* A growable byte buffer. */
struct buffer {
    char *bytes;
    size_t length, capacity;
};

static int buffer_add(struct buffer *buffer, const char *bytes, size_t length) {
    if (buffer->length + length + 1 > buffer->capacity) {
        size_t capacity = buffer->capacity ? buffer->capacity : 1024;
        while (buffer->length + length + 1 > capacity) capacity *= 2;
        char *grown = realloc(buffer->bytes, capacity);
        if (!grown) return -1;
        buffer->bytes = grown;
        buffer->capacity = capacity;
    }
    memcpy(buffer->bytes + buffer->length, bytes, length);
    buffer->length += length;
    buffer->bytes[buffer->length] = 0;
    return 0;
}

static int buffer_text(struct buffer *buffer, const char *text) { return buffer_add(buffer, text, strlen(text)); }

static size_t collect(char *bytes, size_t size, size_t count, void *target) {
    return buffer_add(target, bytes, size * count) == 0 ? size * count : 0;
}

/* Where the value of member `name` starts in text (just after `"name":` and `opening`), or NULL. */
static const char *member_value(const char *text, const char *name, const char *opening) {
    char key[64];
    snprintf(key, sizeof key, "\"%s\":%s", name, opening);
    const char *at = strstr(text, key);
    return at ? at + strlen(key) : NULL;
}

/* The string value of member `name` in text (up to `limit` bytes), with JSON's `\/` read as `/`; 0 when absent. */
static int json_string(const char *text, const char *name, char *out, size_t limit) {
    const char *at = member_value(text, name, "\"");
    if (!at) return 0;
    size_t used = 0;
    while (*at && *at != '"') {
        if (*at == '\\' && at[1] == '/') at++;
        if (used + 1 >= limit) return 0;
        out[used++] = *at++;
    }
    out[used] = 0;
    return *at == '"';
}

/* The number value of member `name` (digits and a point); 0 when absent. */
static int json_number(const char *text, const char *name, char *out, size_t limit) {
    const char *at = member_value(text, name, "");
    if (!at) return 0;
    size_t used = 0;
    while ((*at >= '0' && *at <= '9') || *at == '.') {
        if (used + 1 >= limit) return 0;
        out[used++] = *at++;
    }
    out[used] = 0;
    return used > 0;
}

struct worker {
    FCGX_Request request;
    MYSQL *db;
    CURL *curl;
    struct curl_slist *headers;
    EVP_MD_CTX *digest;
    struct buffer reply, canonical, form;
    char lease[33];
};

/* One CALL in the text protocol; the first column of its first row into `first` (when not NULL), every result
 * read so that the connection is ready for the next statement. */
static int call(struct worker *worker, const char *statement, char *first, size_t limit) {
    if (mysql_real_query(worker->db, statement, (unsigned long)strlen(statement)) != 0) return -1;
    int found = first == NULL;
    do {
        MYSQL_RES *result = mysql_store_result(worker->db);
        if (result) {
            MYSQL_ROW row = mysql_fetch_row(result);
            if (row && row[0] && !found) {
                snprintf(first, limit, "%s", row[0]);
                found = 1;
            }
            mysql_free_result(result);
        } else if (mysql_field_count(worker->db) != 0) {
            return -1;
        }
    } while (mysql_next_result(worker->db) == 0);
    return mysql_errno(worker->db) == 0 && found ? 0 : -1;
}

static int add_parameter(struct buffer *form, CURL *curl, const char *name, const char *value) {
    char *escaped = curl_easy_escape(curl, value, 0);
    if (!escaped) return -1;
    int failed = (form->length && buffer_text(form, "&")) || buffer_text(form, name) || buffer_text(form, "=")
        || buffer_text(form, escaped);
    curl_free(escaped);
    return failed ? -1 : 0;
}

/* Signs the canonical string, posts the form, checks the reply's signature; the qr_code into `qr_code`. */
static const char *precreate(struct worker *worker, const char *trade, const char *amount, char *qr_code,
                             size_t limit) {
    char biz[256], stamp[32];
    snprintf(biz, sizeof biz, "{\"out_trade_no\":\"%s\",\"subject\":\"Bench ticket\",\"total_amount\":\"%s\"}",
             trade, amount);
    time_t now = time(NULL) + 8 * 3600;
    struct tm china;
    gmtime_r(&now, &china);
    strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &china);
    /* The canonical string: the parameters in byte order of their names, values as they are. */
    const char *names[] = {"app_id", "biz_content", "charset", "format", "method", "notify_url", "sign_type",
                           "timestamp", "version"};
    const char *values[] = {app_id, biz, "utf-8", "JSON", "alipay.trade.precreate", notify_url, "RSA2", stamp,
                            "1.0"};
    worker->canonical.length = 0;
    worker->form.length = 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if ((i && buffer_text(&worker->canonical, "&")) || buffer_text(&worker->canonical, names[i])
            || buffer_text(&worker->canonical, "=") || buffer_text(&worker->canonical, values[i])
            || add_parameter(&worker->form, worker->curl, names[i], values[i]))
            return "form";
    }
    unsigned char signature[512];
    size_t signature_length = sizeof signature;
    if (EVP_MD_CTX_reset(worker->digest) != 1
        || EVP_DigestSignInit(worker->digest, NULL, EVP_sha256(), NULL, app_key) != 1
        || EVP_DigestSign(worker->digest, signature, &signature_length, (unsigned char *)worker->canonical.bytes,
                          worker->canonical.length) != 1)
        return "sign";
    char sign[700];
    EVP_EncodeBlock((unsigned char *)sign, signature, (int)signature_length);
    if (add_parameter(&worker->form, worker->curl, "sign", sign)) return "form";

    worker->reply.length = 0;
    curl_easy_setopt(worker->curl, CURLOPT_POSTFIELDS, worker->form.bytes);
    curl_easy_setopt(worker->curl, CURLOPT_POSTFIELDSIZE, (long)worker->form.length);
    long status = 0;
    if (curl_easy_perform(worker->curl) != CURLE_OK) return "gateway";
    curl_easy_getinfo(worker->curl, CURLINFO_RESPONSE_CODE, &status);
    if (status != 200 || !worker->reply.bytes) return "gateway status";

    /* {"alipay_trade_precreate_response":NODE,"sign":"BASE64"}: NODE's exact bytes are what was signed. */
    static const char head[] = "{\"alipay_trade_precreate_response\":";
    char *node = worker->reply.bytes;
    if (strncmp(node, head, sizeof head - 1) != 0) return "reply";
    node += sizeof head - 1;
    char *tail = strstr(node, ",\"sign\":\"");
    if (!tail) return "reply unsigned";
    char *sign_text = tail + 9, *sign_end = strchr(sign_text, '"');
    if (!sign_end || sign_end - sign_text >= (long)sizeof sign) return "reply";
    int decoded = EVP_DecodeBlock(signature, (unsigned char *)sign_text, (int)(sign_end - sign_text));
    if (decoded < 0) return "reply signature";
    for (char *pad = sign_end; pad > sign_text && pad[-1] == '='; pad--) decoded--;
    if (EVP_MD_CTX_reset(worker->digest) != 1
        || EVP_DigestVerifyInit(worker->digest, NULL, EVP_sha256(), NULL, alipay_key) != 1
        || EVP_DigestVerify(worker->digest, signature, (size_t)decoded, (unsigned char *)node,
                            (size_t)(tail - node)) != 1)
        return "reply signature";
    *tail = 0;
    char code[16];
    if (!json_string(node, "code", code, sizeof code) || strcmp(code, "10000") != 0) return "gateway code";
    if (!json_string(node, "qr_code", qr_code, limit)) return "qr_code";
    return NULL;
}

static void answer(FCGX_Request *request, int errcode, const char *text) {
    FCGX_FPrintF(request->out,
                 "Status: 200 OK\r\nContent-Type: application/json; charset=utf-8\r\nX-ThreePay-Errcode: %d\r\n\r\n%s",
                 errcode, text);
}

static const char *serve_one(struct worker *worker, char *envelope, size_t limit) {
    char body[4096];
    const char *length_text = FCGX_GetParam("CONTENT_LENGTH", worker->request.envp);
    long length = length_text ? strtol(length_text, NULL, 10) : 0;
    if (length <= 0 || length >= (long)sizeof body) return "body";
    if (FCGX_GetStr(body, (int)length, worker->request.in) != length) return "body";
    body[length] = 0;
    char billnum[64], amount[32], escaped[130];
    if (!json_string(body, "billnum", billnum, sizeof billnum) || !json_number(body, "paymentvalue", amount, sizeof amount))
        return "body";
    mysql_real_escape_string(worker->db, escaped, billnum, strlen(billnum));

    char statement[2048], autoid[32], qr_code[512];
    snprintf(statement, sizeof statement,
             "CALL `%s`.Floor_Begin('%s', '1', 'Bench ticket', '01', %s, NULL, '202.96.128.68', NULL, 900, '%s', "
             "20000)",
             db_schema, escaped, amount, worker->lease);
    if (strlen(statement) + 1 >= sizeof statement || call(worker, statement, autoid, sizeof autoid))
        return "Floor_Begin";
    const char *failed = precreate(worker, billnum, amount, qr_code, sizeof qr_code);
    if (failed) return failed;
    char escaped_qr[1030];
    mysql_real_escape_string(worker->db, escaped_qr, qr_code, strlen(qr_code));
    snprintf(statement, sizeof statement, "CALL `%s`.Floor_QrIssued(%s, '%s', 900, '%s')", db_schema, autoid,
             escaped_qr, worker->lease);
    if (strlen(statement) + 1 >= sizeof statement || call(worker, statement, NULL, 0)) return "Floor_QrIssued";
    int written = snprintf(envelope, limit, "{\"errcode\":0,\"errmsg\":\"\",\"tag\":{\"billnum\":\"%s\",\"autoid\":%s,\"codeurl\":\"%s\"}}",
             billnum, autoid, qr_code);
    return written > 0 && (size_t)written < limit ? NULL : "envelope";
}

static void *serve(void *argument) {
    struct worker *worker = argument;
    if (FCGX_InitRequest(&worker->request, listen_fd, 0) != 0) return NULL;
    while (FCGX_Accept_r(&worker->request) >= 0) {
        char envelope[1024];
        if (!worker->db) {
            worker->db = mysql_init(NULL);
            if (worker->db && !mysql_real_connect(worker->db, NULL, db_user, NULL, NULL, 0, db_socket,
                                                  CLIENT_MULTI_RESULTS)) {
                fprintf(stderr, "scancode-floor: database: %s\n", mysql_error(worker->db));
                mysql_close(worker->db);
                worker->db = NULL;
            }
        }
        const char *failed = worker->db ? serve_one(worker, envelope, sizeof envelope) : "database";
        if (failed) {
            char text[200];
            snprintf(text, sizeof text, "{\"errcode\":9,\"errmsg\":\"scancode-floor: %s failed\"}", failed);
            answer(&worker->request, 9, text);
        } else {
            answer(&worker->request, 0, envelope);
        }
        FCGX_Finish_r(&worker->request);
    }
    return NULL;
}

/* Thread i's state: its curl handle (kept alive to the gateway), digest context and buffers; the database
 * connection is opened by the thread on its first request. NULL when out of memory. */
static void *new_worker(long index) {
    struct worker *worker = calloc(1, sizeof *worker);
    if (!worker) return NULL;
    worker->curl = curl_easy_init();
    worker->digest = EVP_MD_CTX_new();
    worker->headers = curl_slist_append(NULL, "Content-Type: application/x-www-form-urlencoded;charset=utf-8");
    if (!worker->curl || !worker->digest || !worker->headers) return NULL;
    snprintf(worker->lease, sizeof worker->lease, "floor%ld", index);
    curl_easy_setopt(worker->curl, CURLOPT_URL, gateway);
    curl_easy_setopt(worker->curl, CURLOPT_HTTPHEADER, worker->headers);
    curl_easy_setopt(worker->curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(worker->curl, CURLOPT_WRITEDATA, &worker->reply);
    curl_easy_setopt(worker->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(worker->curl, CURLOPT_TIMEOUT_MS, 30000L);
    return worker;
}

static EVP_PKEY *read_key(const char *path, int private_key) {
    FILE *file = path ? fopen(path, "r") : NULL;
    if (!file) return NULL;
    EVP_PKEY *key = private_key ? PEM_read_PrivateKey(file, NULL, NULL, NULL) : PEM_read_PUBKEY(file, NULL, NULL, NULL);
    fclose(file);
    return key;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: scancode-floor SOCKET_PATH THREADS\n");
        return 2;
    }
    long threads = strtol(argv[2], NULL, 10);
    if (threads < 1 || threads > 4096) {
        fprintf(stderr, "scancode-floor: THREADS must be between 1 and 4096\n");
        return 2;
    }
    db_socket = getenv("FLOOR_DB_SOCKET");
    db_user = getenv("FLOOR_DB_USER");
    db_schema = getenv("FLOOR_DB_SCHEMA");
    gateway = getenv("FLOOR_GATEWAY");
    app_id = getenv("FLOOR_APP_ID");
    notify_url = getenv("FLOOR_NOTIFY_URL");
    app_key = read_key(getenv("FLOOR_APP_PRIVATE_KEY"), 1);
    alipay_key = read_key(getenv("FLOOR_ALIPAY_PUBLIC_KEY"), 0);
    if (!db_socket || !db_user || !db_schema || !gateway || !app_id || !notify_url || !app_key || !alipay_key) {
        fprintf(stderr, "scancode-floor: set FLOOR_DB_SOCKET, FLOOR_DB_USER, FLOOR_DB_SCHEMA, FLOOR_GATEWAY, "
                        "FLOOR_APP_ID, FLOOR_NOTIFY_URL and readable FLOOR_APP_PRIVATE_KEY, FLOOR_ALIPAY_PUBLIC_KEY\n");
        return 2;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || mysql_library_init(0, NULL, NULL)) {
        fprintf(stderr, "scancode-floor: libcurl or libmariadb did not start\n");
        return 1;
    }
    listen_fd = floor_listen("scancode-floor", argv[1], threads);
    if (listen_fd < 0) return 1;
    return floor_serve("scancode-floor", argv[1], threads, serve, new_worker);
}
