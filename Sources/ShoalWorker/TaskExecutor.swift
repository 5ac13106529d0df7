import ShoalProtocol

/// A task kind as a worker sees it: runs one attempt. Kinds are plug-ins, registered by kind name
/// (`ExecutorRegistry`); the worker service knows nothing about what a kind does.
public protocol TaskExecutor: Sendable {
    /// The kind this executor runs, e.g. "command"; matches a `JobPlanner.kind`.
    var kind: String { get }

    /// Runs one attempt to its end and describes how it ended.
    ///
    /// Runs in a task of its own, which the worker cancels when the attempt must stop (a CANCEL from the
    /// coordinator, a drain that gives up, a hang): the executor must then stop promptly (kill its process)
    /// and return a result with outcome `.cancelled`. It never throws: every failure is a `.failed` result
    /// whose `error` and `logTail` say what happened.
    /// - Parameters:
    ///   - assignment: the attempt, with the kind-specific spec the planner made.
    ///   - context: where to report progress, and a private scratch directory.
    func run(_ assignment: TaskAssignment, context: TaskContext) async -> TaskResult

    /// Whether attempts use `TaskContext.scratchDirectory`; the worker creates and removes it only then.
    var usesScratchDirectory: Bool { get }

    /// The attempt's result, when it can be had at once, without waiting on anything (no I/O, no sleep, no
    /// process); `nil` to run it with `run`. Called on the worker's engine, so it must be quick: it saves the
    /// task, the context and the two thread hops an attempt run with `run` costs, which are most of a tiny
    /// task's cost. Such an attempt reports no progress (it is over before the next heartbeat).
    func immediateResult(of assignment: TaskAssignment) -> TaskResult?
}

extension TaskExecutor {
    public var usesScratchDirectory: Bool { true }

    public func immediateResult(of assignment: TaskAssignment) -> TaskResult? { nil }
}
