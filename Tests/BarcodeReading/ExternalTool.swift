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
    /// tool still running after `seconds` is killed (status 137).
    public static func run(_ executable: String, _ arguments: [String], seconds: Double = 60) throws -> Outcome {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw TestFailure("\(executable) is missing; scripts/install-deps.sh installs it")
        }
        let folder = try TemporaryFolder("tool")
        defer { folder.remove() }
        let outPath = folder.path + "/stdout"
        let errPath = folder.path + "/stderr"
        // posix_spawn and waitpid (TestCommand), not Foundation's Process, which LeakSanitizer sees leaking.
        let pid = try TestCommand.spawn(
            executable, arguments, ProcessInfo.processInfo.environment, output: outPath, errorOutput: errPath)
        let status = try TestCommand.wait(for: pid, executable, seconds: seconds)
        return Outcome(
            status: status,
            standardOutput: Array(try Data(contentsOf: URL(fileURLWithPath: outPath))),
            standardError: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
    }
}
