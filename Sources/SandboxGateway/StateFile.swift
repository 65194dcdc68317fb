import Alipay
import Foundation
import JSON

/// Keeps the trade book in a JSON file: loaded at start, rewritten atomically after changes
/// (at most every `minimumInterval`), and once more at shutdown.
///
/// Sendable argument: `dirty`, `stopping` and `running` are only touched while `condition` is locked;
/// the rest is immutable.
public final class StateFile: @unchecked Sendable {
    /// Why the state file could not be used.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    public let path: String
    private let minimumInterval: TimeInterval
    private let condition = NSCondition()
    private var dirty = false
    private var stopping = false
    private var running = false

    public init(path: String, minimumInterval: TimeInterval = 0.2) {
        self.path = path
        self.minimumInterval = minimumInterval
    }

    /// The trades in the file; empty when it does not exist yet.
    public func load() throws(Failure) -> [SandboxTrade] {
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Failure(description: "THREEPAY_SANDBOX_STATE: cannot read \(path)")
        }
        do {
            let root = try JSONParser.parse([UInt8](data))
            guard case .array(let items)? = root["trades"] else {
                throw Failure(description: "THREEPAY_SANDBOX_STATE: \(path) has no trades list")
            }
            var trades: [SandboxTrade] = []
            for item in items { trades.append(try TradeJSON.decode(item)) }
            return trades
        } catch let failure as Failure {
            throw failure
        } catch {
            throw Failure(description: "THREEPAY_SANDBOX_STATE: \(path) is not a sandbox state file (\(error))")
        }
    }

    /// Writes `trades` to a temporary file and renames it over the state file.
    public func save(_ trades: [SandboxTrade]) throws(Failure) {
        let root = JSONNode.object([
            ("version", .number("1")),
            ("trades", .array(trades.map(TradeJSON.encode))),
        ])
        do {
            try Data(JSONWriter.bytes(root, escapingSlashes: false)).write(to: URL(fileURLWithPath: path),
                                                                           options: .atomic)
        } catch {
            throw Failure(description: "THREEPAY_SANDBOX_STATE: cannot write \(path)")
        }
    }

    /// Notes that the book changed; the writer thread saves soon.
    public func markDirty() {
        condition.lock()
        dirty = true
        condition.signal()
        condition.unlock()
    }

    /// Starts the writer thread; `snapshot` reads the book.
    public func startWriter(snapshot: @escaping @Sendable () -> [SandboxTrade]) {
        condition.lock()
        running = true
        condition.unlock()
        let thread = Thread { [self] in self.writerLoop(snapshot: snapshot) }
        thread.name = "sandbox-state-writer"
        thread.start()
    }

    /// Stops the writer after a final save of any pending change.
    public func stopWriter() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while running { condition.wait() }
        condition.unlock()
    }

    private func writerLoop(snapshot: @Sendable () -> [SandboxTrade]) {
        while true {
            condition.lock()
            while !dirty && !stopping { condition.wait() }
            let finish = stopping
            let needed = dirty
            dirty = false
            condition.unlock()
            if needed {
                do { try save(snapshot()) } catch {
                    FileHandle.standardError.write(Data("threepay-sandbox: \(error)\n".utf8))
                }
            }
            if finish { break }
            // Batches a burst of changes into one write.
            Thread.sleep(forTimeInterval: minimumInterval)
        }
        condition.lock()
        running = false
        condition.broadcast()
        condition.unlock()
    }
}
