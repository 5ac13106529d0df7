/// Plans a `noop` job: `tasks: N` tasks that do nothing but sleep `sleep_ms` and end, those listed in
/// `fail_shards` with a failure every time. For benchmarks of the scheduler and tests of its retries.
public struct NoopJobPlanner: JobPlanner {
    public let kind = "noop"

    /// The most tasks one `noop` job may have.
    public static let maximumTasks = 10_000_000
    /// The keys of a `noop` job besides the common ones.
    public static let keys = ["tasks", "sleep_ms", "fail_shards"]

    public init() {}

    public func plan(_ job: JobFile) throws(JobFileError) -> JobPlan {
        let reader = try job.reader(keys: Self.keys)
        let count = try reader.requiredInt("tasks", range: 1...Self.maximumTasks)
        let sleepMs = try reader.optionalInt("sleep_ms", range: 0...86_400_000) ?? 0
        let failing = Set(try reader.optionalIntList("fail_shards", range: 0...(count - 1)) ?? [])
        // Two encodings shared by every task (arrays are copy-on-write): a million tasks cost a million small
        // structs, not a million JSON encodings.
        let succeeding = NoopTaskSpec(sleepMs: sleepMs, fail: false).jsonBytes()
        let failingSpec = NoopTaskSpec(sleepMs: sleepMs, fail: true).jsonBytes()
        var tasks: [PlannedTask] = []
        tasks.reserveCapacity(count)
        for index in 0..<count {
            let spec = failing.contains(index) ? failingSpec : succeeding
            tasks.append(PlannedTask(index: index, label: "shard \(index)", spec: spec))
        }
        return JobPlan(tasks: tasks, outputDirectory: nil)
    }
}
