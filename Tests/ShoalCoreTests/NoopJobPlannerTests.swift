import ShoalCore
import Testing

/// `NoopJobPlanner`: counts, failing shards, and the speed a benchmark needs.
@Suite struct NoopJobPlannerTests {
    @Test func plansTheTasksWithTheirSpecs() throws {
        let (_, planned) = try plan("kind: noop\nname: n\ntasks: 4\nsleep_ms: 20\nfail_shards: [1, 3]\n")
        #expect(planned.tasks.map(\.label) == ["shard 0", "shard 1", "shard 2", "shard 3"])
        #expect(planned.outputDirectory == nil)
        let specs = try planned.tasks.map { try NoopTaskSpec(jsonBytes: $0.spec) }
        #expect(specs.map(\.fail) == [false, true, false, true])
        #expect(specs.allSatisfy { $0.sleepMs == 20 })
    }

    /// The largest jobs plan (how fast is bench/scale.sh's business, not a test's).
    @Test func aMillionTasksPlanEachWithASmallSpec() throws {
        let tasks = try plan("kind: noop\nname: big\ntasks: 1000000\n").1.tasks
        #expect(tasks.count == 1_000_000)
        #expect(tasks.last?.label == "shard 999999")
        #expect(tasks.allSatisfy { $0.spec.count < 40 })
    }

    @Test func badCountsAndShardsAreLocated() {
        expectError(planningError("kind: noop\nname: n\n"), at: 1, 1, keyPath: "tasks", saying: "missing required key")
        expectError(
            planningError("kind: noop\nname: n\ntasks: 0\n"), at: 3, 8, keyPath: "tasks",
            saying: "must be between 1 and 10000000, got 0")
        expectError(
            planningError("kind: noop\nname: n\ntasks: 3\nfail_shards: [0, 3]\n"), at: 4, 18, keyPath: "fail_shards[1]",
            saying: "must be between 0 and 2, got 3")
        expectError(
            planningError("kind: noop\nname: n\ntasks: 3\nsleep_ms: -1\n"), at: 4, 11, keyPath: "sleep_ms",
            saying: "must be between 0 and 86400000, got -1")
        expectError(
            planningError("kind: noop\nname: n\ntasks: 3\nfail_shards: 1\n"), at: 4, 14, keyPath: "fail_shards",
            saying: "expected a list of whole numbers, got a whole number")
    }
}
