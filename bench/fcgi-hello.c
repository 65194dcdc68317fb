/*
 * fcgi-hello: the smallest FastCGI responder the benchmark can put behind nginx, for the floor line
 * "one FastCGI trip". It answers every request with the same short JSON body and does nothing else, so
 * nginx + libfcgi + this program's CPU per request is what one trip through the FastCGI edge costs.
 *
 *   fcgi-hello SOCKET_PATH [THREADS]
 *
 * Like the ThreePay responder it is a pool of threads, each blocking in libfcgi's FCGX_Accept_r on one
 * shared unix socket (bench/floor-responder.h). Web servers that ask to keep the
 * connection (fastcgi_keep_conn on) are served on the same connection until they close it, as libfcgi does
 * for the responder. SIGTERM or SIGINT ends it. scripts/bench.sh builds it with `cc ... -lfcgi -lpthread`
 * (Debian package libfcgi-dev) and starts and stops it next to the bench stack.
 */
#include <stdlib.h>

#include "floor-responder.h"

static const char ANSWER[] =
    "Status: 200 OK\r\n"
    "Content-Type: application/json; charset=utf-8\r\n"
    "X-ThreePay-Errcode: 0\r\n"
    "\r\n"
    "{\"errcode\":0,\"errmsg\":\"\",\"data\":\"hello\"}";

static int listen_fd = -1;

static void *serve(void *unused) {
    (void)unused;
    FCGX_Request request;
    if (FCGX_InitRequest(&request, listen_fd, 0) != 0) {
        fprintf(stderr, "fcgi-hello: FCGX_InitRequest failed\n");
        return NULL;
    }
    while (FCGX_Accept_r(&request) >= 0) {
        FCGX_PutStr(ANSWER, (int)(sizeof ANSWER - 1), request.out);
        FCGX_Finish_r(&request);
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: fcgi-hello SOCKET_PATH [THREADS]\n");
        return 2;
    }
    const char *path = argv[1];
    long threads = argc == 3 ? strtol(argv[2], NULL, 10) : 4;
    if (threads < 1 || threads > 4096) {
        fprintf(stderr, "fcgi-hello: THREADS must be between 1 and 4096\n");
        return 2;
    }
    listen_fd = floor_listen("fcgi-hello", path, threads);
    if (listen_fd < 0) return 1;
    return floor_serve("fcgi-hello", path, threads, serve, NULL);
}
