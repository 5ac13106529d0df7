#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// A command's process, spawned as the leader of a process group of its own, so that one signal to the group
/// reaches everything it started (`sh -c` children, pipelines). Its methods block: call them from a thread
/// of the attempt's own, never from a Swift task.
struct CommandProcess: Sendable {
    /// The process id, which is also its process group id.
    let pid: pid_t

    /// How the process ended.
    enum Ending: Sendable, Equatable {
        case exited(status: Int32)
        case signalled(Int32)
    }

    /// Why a process could not be started: the errno of posix_spawn or of the program's lookup in `PATH`.
    struct SpawnError: Error, CustomStringConvertible {
        var code: Int32
        var description: String { String(cString: strerror(code)) }
    }

    /// Starts `arguments[0]` — looked up in the `PATH` of `environment` when it has no `/`, as execvp(3)
    /// does — in `directory`, with the given descriptors as its stdin, stdout and stderr.
    static func spawn(
        arguments: [String], environment: [String: String], directory: String,
        standardInput: Int32, standardOutput: Int32, standardError: Int32
    ) throws(SpawnError) -> CommandProcess {
        let executable = try executablePath(arguments[0], searchPath: environment["PATH"], directory: directory)

        #if canImport(Darwin)
        var actions: posix_spawn_file_actions_t? = nil
        var attributes: posix_spawnattr_t? = nil
        #else
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        #endif
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
        }
        try addChangeDirectory(&actions, directory)
        posix_spawn_file_actions_adddup2(&actions, standardInput, 0)
        posix_spawn_file_actions_adddup2(&actions, standardOutput, 1)
        posix_spawn_file_actions_adddup2(&actions, standardError, 2)

        // A new group led by the child (group id 0 = its own pid). The worker's signal mask and ignored
        // signals would be inherited through exec — a service that handles SIGTERM itself ignores it — so both
        // are reset, or the command could not be stopped.
        var flags = POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF
        #if canImport(Darwin)
        flags |= POSIX_SPAWN_CLOEXEC_DEFAULT  // Darwin has no pipe2: close everything not dup2'd (CommandStreams)
        #endif
        posix_spawnattr_setflags(&attributes, Int16(flags))
        posix_spawnattr_setpgroup(&attributes, 0)
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGHUP, SIGINT, SIGQUIT, SIGPIPE, SIGALRM, SIGTERM, SIGUSR1, SIGUSR2, SIGCHLD, SIGTSTP, SIGTTIN, SIGTTOU] {
            sigaddset(&defaults, signal)
        }
        posix_spawnattr_setsigdefault(&attributes, &defaults)

        var pid: pid_t = 0
        let environmentLines = environment.map { "\($0.key)=\($0.value)" }
        let code = withCStrings(arguments) { argv in
            withCStrings(environmentLines) { envp in posix_spawn(&pid, executable, &actions, &attributes, argv, envp) }
        }
        guard code == 0 else { throw SpawnError(code: code) }
        CommandProcessGroups.add(pid)
        return CommandProcess(pid: pid)
    }

    /// Blocks until the process has exited, without reaping it: while it is an unreaped zombie its pid — the
    /// group id — cannot be reused, so the group can still be signalled safely.
    /// - Returns: `false` if the process cannot be waited for (something else in this process reaped it), and
    ///   its group must then not be signalled.
    func waitForExit() -> Bool {
        var info = siginfo_t()
        while true {
            if waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) == 0 { return true }
            if errno != EINTR { return false }
        }
    }

    /// Sends `signal` to every process of the group. Only safe before `reap()` (see `waitForExit`).
    func signalGroup(_ signal: Int32) {
        kill(-pid, signal)
    }

    /// Collects the exit status, freeing the pid.
    /// - Returns: how the process ended; `nil` if something else in this process reaped it first.
    func reap() -> Ending? {
        // Out of the registry before its pid can be reused: `killAll` never signals a stranger's group.
        CommandProcessGroups.remove(pid)
        var status: Int32 = 0
        while true {
            let result = waitpid(pid, &status, 0)
            if result == pid { break }
            if result < 0 && errno == EINTR { continue }
            return nil
        }
        // WIFEXITED/WEXITSTATUS/WTERMSIG are C macros Swift cannot import; this is their definition.
        let signal = status & 0x7f
        return signal == 0 ? .exited(status: (status >> 8) & 0xff) : .signalled(signal)
    }

    private static func executablePath(
        _ program: String, searchPath: String?, directory: String
    ) throws(SpawnError) -> String {
        if program.contains("/") { return program }  // relative to `directory`, which the child enters first
        for entry in (searchPath ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":", omittingEmptySubsequences: false) {
            let folder = entry.isEmpty ? "." : String(entry)
            let candidate = (folder.hasPrefix("/") ? folder : directory + "/" + folder) + "/" + program
            var info = stat()
            if stat(candidate, &info) == 0, info.st_mode & S_IFMT == S_IFREG, access(candidate, X_OK) == 0 {
                return candidate
            }
        }
        throw SpawnError(code: ENOENT)
    }

    #if canImport(Darwin)
    private static func addChangeDirectory(
        _ actions: inout posix_spawn_file_actions_t?, _ directory: String
    ) throws(SpawnError) {
        let code = posix_spawn_file_actions_addchdir_np(&actions, directory)
        guard code == 0 else { throw SpawnError(code: code) }
    }
    #else
    private static func addChangeDirectory(
        _ actions: inout posix_spawn_file_actions_t, _ directory: String
    ) throws(SpawnError) {
        let code = GlibcExtensions.addChangeDirectory(&actions, directory)
        guard code == 0 else { throw SpawnError(code: code) }
    }
    #endif

    /// Calls `body` with `strings` as a NULL-terminated array of C strings, valid only inside `body`.
    private static func withCStrings<Result>(
        _ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> Result
    ) -> Result {
        let pointers = strings.map { strdup($0) } + [nil]
        defer { for pointer in pointers { free(pointer) } }
        return body(pointers)
    }
}

/// The process groups of this worker's commands that have not been reaped, so that none outlives the worker: a
/// command that ignores SIGTERM would otherwise run on after the worker left (drain timeout, BYE, its parent
/// gone), while the coordinator runs its attempt again elsewhere. A worker killed with SIGKILL cannot do this;
/// its commands' groups are left running (docs/architecture.md).
public enum CommandProcessGroups {
    private static let groups = Mutex<Set<pid_t>>([])

    static func add(_ group: pid_t) { _ = groups.withLock { $0.insert(group) } }
    static func remove(_ group: pid_t) { _ = groups.withLock { $0.remove(group) } }

    /// How many groups are still running (spawned and not reaped).
    public static var count: Int { groups.withLock { $0.count } }

    /// Sends SIGKILL to every group still running; safe from any thread. Returns how many it signalled.
    @discardableResult
    public static func killAll() -> Int {
        groups.withLock { groups in
            for group in groups { kill(-group, SIGKILL) }
            return groups.count
        }
    }
}
