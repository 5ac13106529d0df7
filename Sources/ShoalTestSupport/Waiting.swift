import Foundation

/// Checks `condition` every few milliseconds until it holds or `timeout` passes: the way tests wait for a
/// readiness signal (a file written, a line printed, a process gone) with a deadline instead of a sleep.
/// - Returns: whether the condition held before the deadline.
public func waitUntil(
    timeout: Duration, every interval: Duration = .milliseconds(10), _ condition: @Sendable () -> Bool
) async -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: timeout)
    while clock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: interval)
    }
    return condition()
}

/// Waits up to `timeout` for the file at `path` to exist with a non-empty first line, and returns that line.
public func waitForLine(inFile path: String, timeout: Duration) async -> String? {
    let found = await waitUntil(timeout: timeout) {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return false }
        return text.contains("\n")
    }
    guard found, let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
    return text.split(separator: "\n").first.map(String.init)
}

/// The operation did not finish before its deadline.
public struct DeadlineExceeded: Error, CustomStringConvertible {
    public let limit: Duration
    public var description: String { "deadline of \(limit) exceeded" }
}

/// Runs `body`, cancelling it and throwing `DeadlineExceeded` if it has not returned within `limit`.
///
/// The sleeping task is the deadline, not a wait for something to happen: the real signal is `body`
/// returning, which cancels the sleep at once.
public func withDeadline<Value: Sendable>(
    _ limit: Duration, _ body: @escaping @Sendable () async throws -> Value
) async throws -> Value {
    try await withThrowingTaskGroup(of: Value?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else { throw DeadlineExceeded(limit: limit) }
        return value
    }
}
