import Foundation
import TestSupport

/// Runs one of Debian's command-line tools the tests check pictures with, to completion, with a deadline.
public enum ExternalTool {
    public struct Outcome: Sendable {
        public let status: Int32
        public let standardOutput: [UInt8]
        public let standardError: String
    }

    /// Runs `executable` with `arguments`; output goes to files in a temporary folder (no pipe to fill up). A
    /// tool still running after `seconds` is killed and reported.
    public static func run(_ executable: String, _ arguments: [String], seconds: Double = 60) throws -> Outcome {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw TestFailure("\(executable) is missing; scripts/install-deps.sh installs it")
        }
        let folder = try TemporaryFolder("tool")
        defer { folder.remove() }
        let outPath = try folder.write("stdout", "")
        let errPath = try folder.write("stderr", "")
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        defer {
            try? out.close()
            try? err.close()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = out
        process.standardError = err
        try process.run()
        do {
            try Poll.until("\(executable) finished", seconds: seconds, every: 0.005) { !process.isRunning }
        } catch {
            process.terminate()
            throw error
        }
        return Outcome(
            status: process.terminationStatus,
            standardOutput: Array(try Data(contentsOf: URL(fileURLWithPath: outPath))),
            standardError: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
    }
}
