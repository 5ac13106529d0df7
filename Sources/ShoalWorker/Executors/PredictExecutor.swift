import Foundation
import ShoalProtocol
import ShoalTraining
import ZeroMQ

/// Runs `predict` tasks: one shard of CSV through a trained model, on a thread of its own; the shard's lines
/// and summary go back as the RESULT's outputs.
public struct PredictExecutor: TaskExecutor {
    public let kind = "predict"
    public var usesScratchDirectory: Bool { false }

    public init() {}

    public func run(_ assignment: TaskAssignment, context: TaskContext) async -> TaskResult {
        let bytes = assignment.spec.bytes
        let outcome: Result<[(name: String, bytes: [UInt8])], Error> = await withCheckedContinuation { continuation in
            let thread = Thread {
                continuation.resume(returning: Result {
                    try JSONDecoder().decode(PredictTask.self, from: Data(bytes)).run()
                })
            }
            thread.name = "shoal-predict-\(assignment.task.taskID)"
            thread.stackSize = 4 << 20
            thread.start()
        }
        if Task.isCancelled { return TaskResult(task: assignment.task, outcome: .cancelled, error: "cancelled") }
        switch outcome {
        case .success(let files):
            return TaskResult(
                task: assignment.task, outcome: .succeeded,
                outputs: files.map { NamedFrame(name: $0.name, frame: Frame($0.bytes)) })
        case .failure(let error):
            return TaskResult(task: assignment.task, outcome: .failed, error: "\(error)")
        }
    }
}
