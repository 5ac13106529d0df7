import ShoalCore
import ShoalProtocol
import ShoalTestSupport
import ShoalWorker
import Testing
import ZeroMQ

/// `NoopExecutor`, and the standard registry that holds it.
@Suite struct NoopExecutorTests {
    private func assignment(_ spec: NoopTaskSpec) -> TaskAssignment {
        TaskAssignment(task: TaskRef(taskID: 3, attempt: 2), jobID: 1, kind: "noop", spec: Frame(spec.jsonBytes()))
    }

    private func context() -> TaskContext {
        TaskContext(task: TaskRef(taskID: 3, attempt: 2), scratchDirectory: "/nonexistent")
    }

    @Test func succeedsAfterItsSleep() async throws {
        let clock = ContinuousClock()
        let started = clock.now
        let result = try await withDeadline(.seconds(60)) {
            await NoopExecutor().run(assignment(NoopTaskSpec(sleepMs: 50, fail: false)), context: context())
        }
        #expect(clock.now - started >= .milliseconds(50))
        #expect(result.outcome == .succeeded)
        #expect(result.task == TaskRef(taskID: 3, attempt: 2))
    }

    @Test func failsWhenTheSpecSaysSo() async throws {
        let result = await NoopExecutor().run(assignment(NoopTaskSpec(sleepMs: 0, fail: true)), context: context())
        #expect(result.outcome == .failed)
        #expect(result.error == "failed on purpose (fail_shards)")
    }

    @Test func cancellationEndsTheSleepAtOnce() async throws {
        let assignment = assignment(NoopTaskSpec(sleepMs: 600_000, fail: false))
        let context = context()
        let running = Task { await NoopExecutor().run(assignment, context: context) }
        running.cancel()
        let result = try await withDeadline(.seconds(60)) { await running.value }
        #expect(result.outcome == .cancelled)
    }

    @Test func anInvalidSpecFails() async {
        let bad = TaskAssignment(task: TaskRef(taskID: 3, attempt: 2), jobID: 1, kind: "noop", spec: Frame("[]"))
        let result = await NoopExecutor().run(bad, context: context())
        #expect(result.outcome == .failed)
        #expect(result.error.hasPrefix("invalid noop task spec"))
    }

    /// A task that does not sleep ends on the worker's engine, with the result `run` would give; one that sleeps
    /// is left to `run`.
    @Test func onlyATaskThatDoesNotSleepEndsAtOnce() async {
        let executor = NoopExecutor()
        #expect(executor.immediateResult(of: assignment(NoopTaskSpec(sleepMs: 5, fail: false))) == nil)
        for fail in [false, true] {
            let spec = NoopTaskSpec(sleepMs: 0, fail: fail)
            let immediate = executor.immediateResult(of: assignment(spec))
            let ran = await executor.run(assignment(spec), context: context())
            #expect(immediate?.outcome == (fail ? .failed : .succeeded))
            #expect(immediate?.outcome == ran.outcome && immediate?.error == ran.error && immediate?.task == ran.task)
        }
        let bad = TaskAssignment(task: TaskRef(taskID: 3, attempt: 2), jobID: 1, kind: "noop", spec: Frame("[]"))
        #expect(executor.immediateResult(of: bad)?.error.hasPrefix("invalid noop task spec") == true)
        // Executors that do not say otherwise always run as tasks.
        #expect(CommandExecutor().immediateResult(of: assignment(NoopTaskSpec(sleepMs: 0, fail: false))) == nil)
    }

    @Test func theStandardRegistriesAgreeOnTheKinds() {
        #expect(ExecutorRegistry.standard.kinds == ["command", "etl", "noop", "predict", "train"])
        #expect(ExecutorRegistry.standard.executor(for: "noop")?.kind == "noop")
        #expect(ExecutorRegistry.standard.executor(for: "etl")?.kind == "etl")
        #expect(ExecutorRegistry.standard.executor(for: "train")?.kind == "train")
        #expect(ExecutorRegistry.standard.executor(for: "predict")?.kind == "predict")
        #expect(ExecutorRegistry.standard.executor(for: "pipeline") == nil)
        #expect(JobKindRegistry.standard.kinds == ExecutorRegistry.standard.kinds)
    }
}
