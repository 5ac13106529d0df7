#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A copy of this executable started with other arguments: the C probes `fork()` their peers, a Swift process
/// cannot fork safely once its runtime is up, so it re-executes itself in the peer's role instead.
///
/// The children share the probe's process group, so `timeout` in bench/foundation.sh ends them with it.
final class ChildProcess {
    let pid: pid_t
    /// Set once `waitpid` has reaped the child; its pid may then belong to another process.
    private var reaped = false

    private init(pid: pid_t) { self.pid = pid }

    /// Starts `/proc/self/exe` with `arguments` (without argv[0]), inheriting stdout and stderr.
    static func spawnSelf(_ arguments: [String]) throws -> ChildProcess {
        let argv = ([CommandLine.arguments[0]] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid = pid_t()
        let rc = posix_spawn(&pid, "/proc/self/exe", nil, nil, argv, environ)
        guard rc == 0 else { throw BenchError("posix_spawn /proc/self/exe: \(String(cString: strerror(rc)))") }
        return ChildProcess(pid: pid)
    }

    /// Waits for the child to end; throws unless it exited with status 0.
    func wait() throws {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw BenchError("waitpid \(pid): \(String(cString: strerror(errno)))") }
        }
        reaped = true
        // WIFEXITED/WEXITSTATUS are macros Swift cannot import.
        let signal = status & 0x7f
        let code = (status >> 8) & 0xff
        guard signal == 0, code == 0 else {
            throw BenchError("child \(pid) failed: " + (signal != 0 ? "signal \(signal)" : "exit status \(code)"))
        }
    }

    /// Ends a child the probe no longer needs after a failure, and reaps it; a reaped child is left alone.
    func terminate() {
        guard !reaped else { return }
        kill(pid, SIGTERM)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        reaped = true
    }
}

/// Runs `body` with `children`; if it throws, they are terminated and reaped before the error leaves.
func withChildren<Result>(_ children: [ChildProcess], _ body: () throws -> Result) throws -> Result {
    do {
        return try body()
    } catch {
        for child in children { child.terminate() }
        throw error
    }
}

/// A probe failure with a message for the person running the benchmark.
struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
