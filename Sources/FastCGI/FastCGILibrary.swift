internal import CFastCGI
import Foundation

/// The process-wide parts of libfcgi and POSIX that the server needs: library set-up, signals, threads.
enum FastCGILibrary {
    private static let initialized: Bool = {
        FCGX_Init()
        return true
    }()

    static func initialize() {
        _ = initialized
    }

    static func errnoText() -> String {
        String(cString: strerror(errno))
    }

    static func isSocket(_ fd: Int32) -> Bool {
        var info = stat()
        return fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFSOCK
    }

    /// Removes a socket file left behind by a process that died; refuses to remove anything else.
    static func removeStaleSocket(at path: String) throws(ServerError) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard (info.st_mode & S_IFMT) == S_IFSOCK else {
            throw ServerError("\(path) exists and is not a socket")
        }
        unlink(path)
    }

    static func monotonicSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    /// Blocks SIGTERM, SIGINT and SIGHUP in this thread (workers inherit the mask, so only
    /// `waitForTerminationSignal` sees them), ignores SIGPIPE, and installs a no-op SIGUSR1 handler
    /// without SA_RESTART so that the signal makes a blocked accept() return.
    static func prepareSignals() {
        var blocked = terminationSignals()
        pthread_sigmask(SIG_BLOCK, &blocked, nil)
        signal(SIGPIPE, SIG_IGN)
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(SIGUSR1, &action, nil)
    }

    private static func terminationSignals() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGTERM)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGHUP)
        return set
    }

    /// True when SIGTERM, SIGINT or SIGHUP arrived within the time given.
    static func waitForTerminationSignal(milliseconds: Int) -> Bool {
        var set = terminationSignals()
        var timeout = timespec(tv_sec: milliseconds / 1000, tv_nsec: (milliseconds % 1000) * 1_000_000)
        return sigtimedwait(&set, nil, &timeout) > 0
    }

    /// True when `fd` (a listening socket) has a connection waiting, within the time given.
    static func isReadable(_ fd: Int32, milliseconds: Int32) -> Bool {
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, milliseconds) > 0 && entry.revents & Int16(POLLIN) != 0
    }

    static func interrupt(thread: UInt) {
        guard thread != 0 else { return }
        pthread_kill(pthread_t(thread), SIGUSR1)
    }

    /// Starts a worker thread running `context.run()`.
    static func startThread(context: WorkerContext) -> pthread_t? {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setstacksize(&attributes, 2 << 20)
        let argument = Unmanaged.passRetained(context).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, &attributes, { raw in
            let context = Unmanaged<WorkerContext>.fromOpaque(raw!).takeRetainedValue()
            context.run()
            return nil
        }, argument)
        if result != 0 {
            Unmanaged<WorkerContext>.fromOpaque(argument).release()
            errno = result
            return nil
        }
        return thread
    }
}
