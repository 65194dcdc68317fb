import Foundation
import MariaDB
import PaymentFlow
@testable import PaymentStore
import XCTest

/// Runs jobs at the same moment, each on its own thread with its own connection, as the service's workers do.
enum ConcurrentWorkers {
    private final class Failures: @unchecked Sendable {
        // Guarded by `lock`; written by the worker threads, read after they all finished.
        private let lock = NSLock()
        private var texts: [String] = []

        func add(_ text: String) { lock.withLock { texts.append(text) } }
        var all: [String] { lock.withLock { texts } }
    }

    /// Starts one thread per job; each connects, waits until every one has connected, then runs its job once
    /// (the job's index is its argument). Returns the connection errors and the errors the jobs threw.
    static func run(
        settings: ConnectionSettings, _ jobs: [@Sendable (Int, PaymentRecords) throws -> Void],
        file: StaticString = #filePath, line: UInt = #line
    ) -> [String] {
        let failures = Failures()
        let connected = DispatchGroup()
        let finished = DispatchGroup()
        let start = DispatchSemaphore(value: 0)
        for (index, job) in jobs.enumerated() {
            connected.enter()
            finished.enter()
            Thread {
                MariaDB.threadInit()
                defer {
                    MariaDB.threadEnd()
                    finished.leave()
                }
                let store: PaymentRecords
                do {
                    store = try PaymentRecords(connectionSettings: settings)
                } catch {
                    failures.add("connect: \(error)")
                    connected.leave()
                    return
                }
                connected.leave()
                start.wait()
                do {
                    try job(index, store)
                } catch {
                    failures.add("job \(index): \(error)")
                }
            }.start()
        }
        XCTAssertEqual(connected.wait(timeout: .now() + 60), .success, "workers did not connect in time",
                       file: file, line: line)
        for _ in jobs { start.signal() }
        XCTAssertEqual(finished.wait(timeout: .now() + 120), .success, "workers did not finish in time",
                       file: file, line: line)
        return failures.all
    }
}
