/*
 * What bench/fcgi-hello.c and bench/scancode-floor.c share: libfcgi's listening socket, the pool of threads
 * that serve it, and the wait for SIGTERM or SIGINT. Like the ThreePay responder: every thread blocks in
 * FCGX_Accept_r on one unix socket (mode 0660, backlog 16 per thread, at least 128).
 */
#ifndef THREEPAY_BENCH_FLOOR_RESPONDER_H
#define THREEPAY_BENCH_FLOOR_RESPONDER_H

#include <errno.h>
#include <fcgiapp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Opens the listening socket at `path` for `threads` threads; -1 (and says why, as `name`) when it cannot. */
static int floor_listen(const char *name, const char *path, long threads) {
    if (FCGX_Init() != 0) {
        fprintf(stderr, "%s: FCGX_Init failed\n", name);
        return -1;
    }
    unlink(path);
    int backlog = threads * 16 < 128 ? 128 : (int)(threads * 16);
    int fd = FCGX_OpenSocket(path, backlog);
    if (fd < 0) {
        fprintf(stderr, "%s: cannot listen on %s: %s\n", name, path, strerror(errno));
        return -1;
    }
    chmod(path, 0660);
    return fd;
}

/* Starts `threads` threads of `serve`, thread i with `argument(i)` (NULL when `argument` is NULL), then waits for
 * SIGTERM or SIGINT and removes the socket. The threads run with both signals blocked. 0, or 1 when a thread
 * could not start. */
static int floor_serve(const char *name, const char *path, long threads, void *(*serve)(void *),
                       void *(*argument)(long)) {
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN);
    for (long i = 0; i < threads; i++) {
        void *given = argument ? argument(i) : NULL;
        pthread_t thread;
        if ((argument && !given) || pthread_create(&thread, NULL, serve, given) != 0) {
            fprintf(stderr, "%s: cannot start thread %ld: %s\n", name, i, given ? strerror(errno) : "no memory");
            return 1;
        }
        pthread_detach(thread);
    }
    int received = 0;
    sigwait(&stop_signals, &received);
    unlink(path);
    return 0;
}

#endif
