internal import CFastCGI
import Foundation
import Synchronization

/// Receives one call per answered request, after the answer was handed to nginx.
public protocol RequestLogger: Sendable {
    func requestCompleted(_ request: Request, response: Response, worker: Int, seconds: Double)
    /// A problem of the server itself (a failed accept, a worker that could not start).
    func serverProblem(_ message: String)
}

/// Handles the requests of one worker thread; built once per worker by `makeHandler`.
public typealias Handler = (Request) -> Response

/// A pool of worker threads, each accepting and answering FastCGI requests with libfcgi's
/// reentrant `FCGX_*_r` calls on one shared listening socket.
///
/// There is no lock on the request path: every worker blocks in its own `accept`, owns its own
/// `FCGX_Request` and its own handler state (database connection, HTTP handle). SIGTERM or SIGINT
/// starts a drain: no new request is accepted, requests in flight are answered, then `run` returns.
///
/// With an overflow handler, one more thread stands at the door: once every worker has been busy for
/// `overflowAfterMilliseconds` and the workers took up fewer new requests in that time than there are workers
/// (each is stuck for longer than the wait), it takes the connections waiting in the listen queue and answers each
/// with the overflow handler (a quick "busy" answer), until the workers move again. A request thus waits a bounded
/// time for a worker instead of until nginx gives up, while a full house that keeps answering (more requests in
/// flight than workers, each served quickly) is left to serve its queue.
public final class FastCGIServer: Sendable {
    private let listenFD: Int32
    private let ownedSocketPath: String?
    private let ownsSocket: Bool
    private let workerCount: Int
    private let maxBody: Int
    private let logger: (any RequestLogger)?
    private let stopping = Atomic<Bool>(false)
    /// The workers' slots, then the doorman's.
    private let slots: [WorkerSlot]
    /// How many times the doorman has looked at a full house (tests check that it waits between looks).
    let doormanLooks = Atomic<Int>(0)
    /// How many requests the workers have taken up: the doorman tells a stuck house from a busy one by it.
    private let workerAccepts = Atomic<Int>(0)

    /// Opens (or adopts) the listening socket.
    /// - Parameters:
    ///   - listen: where to listen; `.inherited` adopts fd 0 from systemd or spawn-fcgi.
    ///   - workers: how many requests are served at once (one thread each).
    ///   - maxBody: the largest body read, in bytes; larger ones are flagged `bodyTooLarge`.
    ///   - socketMode: permission bits of a unix socket this server creates (nginx must be able to connect).
    public init(
        listen: ListenAddress, workers: Int, maxBody: Int, logger: (any RequestLogger)? = nil,
        socketMode: Int = 0o660
    ) throws(ServerError) {
        guard workers > 0 else { throw ServerError("the number of workers must be at least 1") }
        FastCGILibrary.initialize()
        self.workerCount = workers
        self.maxBody = maxBody
        self.logger = logger
        self.slots = (0...workers).map { _ in WorkerSlot() }
        switch listen {
        case .inherited:
            guard FastCGILibrary.isSocket(0) else {
                throw ServerError("fd 0 is not a listening socket (start under systemd socket activation or spawn-fcgi, or set THREEPAY_LISTEN)")
            }
            listenFD = 0
            ownedSocketPath = nil
            ownsSocket = false
        case .unixSocket(let path):
            try FastCGILibrary.removeStaleSocket(at: path)
            let fd = FCGX_OpenSocket(path, FastCGIServer.listenBacklog(workers: workers))
            guard fd >= 0 else { throw ServerError("cannot listen on unix socket \(path): \(FastCGILibrary.errnoText())") }
            chmod(path, mode_t(socketMode))
            listenFD = fd
            ownedSocketPath = path
            ownsSocket = true
        case .tcp(let host, let port):
            let fd = FCGX_OpenSocket("\(host):\(port)", FastCGIServer.listenBacklog(workers: workers))
            guard fd >= 0 else { throw ServerError("cannot listen on \(host):\(port): \(FastCGILibrary.errnoText())") }
            listenFD = fd
            ownedSocketPath = nil
            ownsSocket = true
        }
    }

    /// The listen queue of a socket this server opens: 16 connections per worker, at least 128 (the kernel
    /// caps it at net.core.somaxconn). 64 workers → 1024, as threepay.socket's `Backlog=`.
    public static func listenBacklog(workers: Int) -> Int32 {
        Int32(clamping: max(128, workers * 16))
    }

    /// Serves until SIGTERM/SIGINT (or `stop()`), then drains and returns.
    ///
    /// `makeHandler` runs once on each worker thread before it accepts its first request. If it
    /// throws, the server stops and `run` throws that failure. `overflow`, when given, answers the requests
    /// that find every worker busy for `overflowAfterMilliseconds` (see the type's description).
    public func run(
        makeHandler: @escaping @Sendable (_ worker: Int) throws -> Handler,
        overflow: (@Sendable (Request) -> Response)? = nil, overflowAfterMilliseconds: Int = 1000
    ) throws(ServerError) {
        FastCGILibrary.prepareSignals()
        let failure = FailureBox()
        var threads: [pthread_t] = []
        if let overflow {
            let doorman = WorkerContext(
                server: self, index: workerCount,
                makeHandler: { _ in overflow }, failure: failure, overflowAfter: overflowAfterMilliseconds)
            if let thread = FastCGILibrary.startThread(context: doorman) { threads.append(thread) }
        } else {
            slots[workerCount].finished.store(true, ordering: .releasing)
        }
        for index in 0..<workerCount {
            let context = WorkerContext(server: self, index: index, makeHandler: makeHandler, failure: failure)
            guard let thread = FastCGILibrary.startThread(context: context) else {
                failure.value.withLock { $0 = $0 ?? "cannot start worker thread \(index): \(FastCGILibrary.errnoText())" }
                break
            }
            threads.append(thread)
        }
        // The calling thread waits for a signal (or a stop request / a failed worker), then drains.
        while !stopping.load(ordering: .acquiring) {
            if FastCGILibrary.waitForTerminationSignal(milliseconds: 200) { break }
            if failure.value.withLock({ $0 }) != nil { break }
        }
        beginShutdown()
        // Idle workers sit in accept(); interrupt them until every one has left its loop.
        while slots.contains(where: { !$0.finished.load(ordering: .acquiring) }) {
            for slot in slots where slot.idle.load(ordering: .acquiring) {
                FastCGILibrary.interrupt(thread: slot.thread.load(ordering: .acquiring))
            }
            usleep(20_000)
        }
        for thread in threads { pthread_join(thread, nil) }
        close(listenFD)
        if let path = ownedSocketPath { unlink(path) }
        if let message = failure.value.withLock({ $0 }) { throw ServerError(message) }
    }

    /// Starts the same drain a SIGTERM starts.
    public func stop() {
        stopping.store(true, ordering: .releasing)
    }

    private func beginShutdown() {
        stopping.store(true, ordering: .releasing)
        FCGX_ShutdownPending()
        // Waking the blocked accept() calls: shutting the socket down makes them fail at once.
        // An inherited socket belongs to systemd as well, so it is left open and idle workers are
        // interrupted with a signal instead (see `run`).
        if ownsSocket { shutdown(listenFD, Int32(SHUT_RDWR)) }
    }

    /// True when every worker is answering a request (none waits in accept).
    private var everyWorkerBusy: Bool {
        !slots.prefix(workerCount).contains { $0.idle.load(ordering: .acquiring) }
    }

    /// The doorman's loop: while every worker stays busy, answer what waits in the listen queue with `overflow`.
    fileprivate func standAtTheDoor(_ context: WorkerContext) {
        let slot = slots[context.index]
        slot.thread.store(UInt(pthread_self()), ordering: .releasing)
        defer { slot.finished.store(true, ordering: .releasing) }
        guard let overflow = try? context.makeHandler(context.index) else { return }
        let connection = FastCGIConnection(listenFD: listenFD)
        // Since when every look found every worker busy, and how many requests the workers had taken up then.
        var busySince: (seconds: Double, accepts: Int)?
        while !stopping.load(ordering: .acquiring) {
            guard everyWorkerBusy else {
                busySince = nil
                usleep(10_000)
                continue
            }
            doormanLooks.add(1, ordering: .relaxed)
            let now = FastCGILibrary.monotonicSeconds()
            let accepts = workerAccepts.load(ordering: .relaxed)
            var since = busySince ?? (now, accepts)
            if accepts - since.accepts >= workerCount {
                // Busy, but moving: every worker could have taken up a new request since the wait began. The
                // queue is being served; the wait starts again from here.
                since = (now, accepts)
            }
            busySince = since
            // Until the workers have been busy for the whole wait, look again every 10 ms: without the pause this
            // loop would spin and take CPU from the very workers it waits for.
            let waitLeft = Double(context.overflowAfter ?? 0) - (now - since.seconds) * 1000
            if waitLeft > 0 {
                usleep(UInt32(min(waitLeft, 10) * 1000))
                continue
            }
            guard FastCGILibrary.isReadable(listenFD, milliseconds: 10), everyWorkerBusy else { continue }
            slot.idle.store(true, ordering: .releasing)
            let accepted = !stopping.load(ordering: .acquiring) && connection.accept()
            slot.idle.store(false, ordering: .releasing)
            guard accepted else { continue }
            answer(on: connection, with: overflow, worker: context.index)
        }
        connection.release()
    }

    /// The loop of one worker thread.
    fileprivate func serve(_ context: WorkerContext) {
        let slot = slots[context.index]
        slot.thread.store(UInt(pthread_self()), ordering: .releasing)
        defer { slot.finished.store(true, ordering: .releasing) }
        let handler: Handler
        do {
            handler = try context.makeHandler(context.index)
        } catch {
            context.failure.value.withLock { $0 = $0 ?? "worker \(context.index) could not start: \(error)" }
            logger?.serverProblem("worker \(context.index) could not start: \(error)")
            return
        }
        let connection = FastCGIConnection(listenFD: listenFD)
        while !stopping.load(ordering: .acquiring) {
            slot.idle.store(true, ordering: .releasing)
            let accepted = !stopping.load(ordering: .acquiring) && connection.accept()
            slot.idle.store(false, ordering: .releasing)
            if accepted { workerAccepts.add(1, ordering: .relaxed) }
            guard accepted else {
                if stopping.load(ordering: .acquiring) { break }
                logger?.serverProblem("accept failed: \(FastCGILibrary.errnoText())")
                usleep(10_000)
                continue
            }
            answer(on: connection, with: handler, worker: context.index)
        }
        connection.release()
    }

    /// Reads the request just accepted on `connection`, answers it with `handler`, finishes it and logs it.
    private func answer(on connection: FastCGIConnection, with handler: Handler, worker: Int) {
        let started = FastCGILibrary.monotonicSeconds()
        let request = connection.readRequest(maxBody: maxBody)
        let response = handler(request)
        connection.write(response)
        connection.finish()
        logger?.requestCompleted(
            request, response: response, worker: worker, seconds: FastCGILibrary.monotonicSeconds() - started)
    }

    fileprivate final class WorkerSlot: Sendable {
        let idle = Atomic<Bool>(false)
        let finished = Atomic<Bool>(false)
        let thread = Atomic<UInt>(0)
    }
}

/// What a worker thread is started with.
final class WorkerContext {
    let server: FastCGIServer
    let index: Int
    let makeHandler: @Sendable (Int) throws -> Handler
    let failure: FailureBox
    /// For the doorman: how long every worker must have been busy before it answers, milliseconds; nil for a
    /// worker.
    let overflowAfter: Int?

    init(server: FastCGIServer, index: Int, makeHandler: @escaping @Sendable (Int) throws -> Handler,
         failure: FailureBox, overflowAfter: Int? = nil) {
        self.server = server
        self.index = index
        self.makeHandler = makeHandler
        self.failure = failure
        self.overflowAfter = overflowAfter
    }

    func run() {
        if overflowAfter != nil { server.standAtTheDoor(self) } else { server.serve(self) }
    }
}

/// The first failure of a worker, shared between the workers and the thread that drains them.
final class FailureBox: Sendable {
    let value = Mutex<String?>(nil)
}

/// A server that could not start or stopped because of a failure.
public struct ServerError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
