import ShoalCore
import ShoalProtocol
import ShoalWorker
import Testing
import ZeroMQ

/// `TrainExecutor` at its edges: a step task reloaded without its spec, and a spec that is not one.
@Suite struct TrainExecutorTests {
    func run(_ spec: [UInt8]) async -> TaskResult {
        let assignment = TaskAssignment(task: TaskRef(taskID: 8, attempt: 1), jobID: 2, kind: "train", spec: Frame(spec))
        return await TrainExecutor().run(assignment, context: TaskContext(task: assignment.task, scratchDirectory: "/nonexistent"))
    }

    @Test func aStepReloadedWithoutItsSpecSucceedsWithNothing() async {
        // The store never holds a step's parameters; the coordinator plans the step again.
        let result = await run([])
        #expect(result.outcome == .succeeded && result.outputs.isEmpty)
    }

    @Test func aSpecThatIsNotATrainingSpecFailsSayingSo() async {
        let result = await run(Array("{\"kind\": \"noop\"}".utf8))
        #expect(result.outcome == .failed)
        #expect(result.error.contains("not a training task spec"), "\(result.error)")
    }
}
