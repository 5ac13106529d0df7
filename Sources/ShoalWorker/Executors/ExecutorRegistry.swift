/// The task kinds a worker runs: each kind name with its `TaskExecutor`. The worker announces `kinds` in
/// HELLO and hands each TASK assignment to the executor of its kind.
public struct ExecutorRegistry: Sendable {
    private var executors: [String: any TaskExecutor] = [:]

    /// A registry of `executors`; two executors of one kind are a programming error.
    public init(_ executors: [any TaskExecutor]) {
        for executor in executors { register(executor) }
    }

    /// The built-in kinds: `command`, `etl`, `train`, `predict` and `noop`.
    public static let standard = ExecutorRegistry([
        CommandExecutor(), ETLExecutor(), TrainExecutor(), PredictExecutor(), NoopExecutor(),
    ])

    /// Adds `executor` (ETL, training, …).
    public mutating func register(_ executor: any TaskExecutor) {
        precondition(executors[executor.kind] == nil, "two executors for task kind '\(executor.kind)'")
        executors[executor.kind] = executor
    }

    /// The kind names, sorted: HELLO's `kinds`.
    public var kinds: [String] { executors.keys.sorted() }

    /// The executor for `kind`, if this worker has one.
    public func executor(for kind: String) -> (any TaskExecutor)? { executors[kind] }
}
