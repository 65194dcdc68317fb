import Foundation

/// Runs a command to completion with its output collected in a file, with posix_spawn and waitpid rather than
/// Foundation's Process: on Linux, waitUntilExit waits for a socket the child inherits to close, and a daemon
/// started by the command (nginx's master) keeps it open for ever.
public enum TestCommand {
    public struct Outcome: Sendable {
        public let status: Int32
        public let output: String
    }

    /// A command still running after `seconds` is killed (status 137), so a command that unexpectedly serves
    /// instead of failing cannot hang the test.
    public static func run(
        _ executable: String, _ arguments: [String], _ environment: [String: String], seconds: TimeInterval = 120
    ) throws -> Outcome {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("threepay-test-\(UUID().uuidString).log").path
        defer { unlink(log) }
        let pid = try spawn(executable, arguments, environment, output: log)
        let code = try wait(for: pid, executable, seconds: seconds)
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        return Outcome(status: code, output: output)
    }

    /// Waits for the spawned `pid` to exit and reaps it; after `seconds` it is killed. Returns its exit status, or
    /// 128 + the signal that ended it, as a shell reports it.
    public static func wait(for pid: pid_t, _ executable: String, seconds: TimeInterval) throws -> Int32 {
        var exited: Int32?
        let reaped = { () throws -> Bool in
            exited = try exitStatus(of: pid)
            return exited != nil
        }
        if (try? Poll.until("\(executable) exited", seconds: seconds, every: 0.01, reaped)) == nil {
            kill(pid, SIGKILL)
            try Poll.until("\(executable) exited after SIGKILL", seconds: 30, every: 0.01, reaped)
        }
        return exited ?? 0
    }

    /// The exit status of the spawned `pid` once it has exited (and is reaped by this call), nil while it runs:
    /// the exit code, or 128 + the signal that ended it.
    public static func exitStatus(of pid: pid_t) throws -> Int32? {
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        guard result == pid || result == 0 || errno == EINTR else { throw TestFailure("waitpid \(pid): errno \(errno)") }
        guard result == pid else { return nil }
        // WIFEXITED / WEXITSTATUS; a signal counts as 128 + its number.
        return (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    }

    /// Starts `executable` with standard input from /dev/null and standard output into the file `output`, its
    /// standard error into `errorOutput` (or the same file); with `ownGroup`, as the leader of a new process
    /// group (its children join the group, so the whole family can be ended together); with
    /// `defaultSignals`, with SIGINT, SIGQUIT, SIGTERM and SIGHUP at their defaults and none blocked, as a shell
    /// starts a foreground job. The caller reaps it.
    public static func spawn(
        _ executable: String, _ arguments: [String], _ environment: [String: String], output: String,
        errorOutput: String? = nil, ownGroup: Bool = false, defaultSignals: Bool = false
    ) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        if let errorOutput {
            posix_spawn_file_actions_addopen(&actions, 2, errorOutput, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        } else {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var flags: Int32 = 0
        if ownGroup {
            flags |= POSIX_SPAWN_SETPGROUP
            posix_spawnattr_setpgroup(&attributes, 0)
        }
        if defaultSignals {
            var defaults = sigset_t()
            sigemptyset(&defaults)
            for signal in [SIGINT, SIGQUIT, SIGTERM, SIGHUP] { sigaddset(&defaults, signal) }
            var unblocked = sigset_t()
            sigemptyset(&unblocked)
            posix_spawnattr_setsigdefault(&attributes, &defaults)
            posix_spawnattr_setsigmask(&attributes, &unblocked)
            flags |= POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard spawned == 0 else { throw TestFailure("cannot start \(executable): \(String(cString: strerror(spawned)))") }
        return pid
    }
}
