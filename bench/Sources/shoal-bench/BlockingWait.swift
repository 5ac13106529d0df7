import Dispatch
import Synchronization

/// Runs `body` on Swift's concurrency pool and blocks the calling thread (the main thread, never a pool thread)
/// until it is done. The `SocketLoop` probes are async; the commands and the waits on child processes are not.
func waitForAsync<Result: Sendable>(_ body: @escaping @Sendable () async throws -> Result) throws -> Result {
    let outcome = Outcome<Result>()
    let done = DispatchSemaphore(value: 0)
    Task {
        do {
            let value = try await body()
            outcome.value.withLock { $0 = .success(value) }
        } catch {
            outcome.value.withLock { $0 = .failure(error) }
        }
        done.signal()
    }
    done.wait()
    return try outcome.value.withLock { $0! }.get()
}

private final class Outcome<Value: Sendable>: Sendable {
    let value = Mutex<Result<Value, any Error>?>(nil)
}
