import Foundation
import ShoalProtocol
import ShoalTraining
import ZeroMQ

/// Runs `train` tasks: a training shard's statistics, a step's gradient over one shard's micro-batches, or
/// validation metrics — on a thread of its own (seconds of CPU must not occupy Swift's cooperative pool). Dataset
/// shards stay in the process's `DatasetCache` between steps. The task's files go back as the RESULT's outputs.
public struct TrainExecutor: TaskExecutor {
    public let kind = "train"
    public var usesScratchDirectory: Bool { false }
    let runner: TrainTaskRunner

    public init(runner: TrainTaskRunner = TrainTaskRunner()) {
        self.runner = runner
    }

    public func run(_ assignment: TaskAssignment, context: TaskContext) async -> TaskResult {
        let bytes = assignment.spec.bytes
        // A step task reloaded by a restarted coordinator, whose spec (the parameters) was never stored: the step
        // is planned again from the newest checkpoint, so this copy has nothing to do.
        guard !bytes.isEmpty else { return TaskResult(task: assignment.task, outcome: .succeeded) }
        let runner = self.runner
        let job = assignment.jobID
        // A step's parameters come as an attachment (one frame for all the step's tasks) rather than in the spec.
        let parameters = assignment.attachments.first
        let frames = context.frames
        let outcome: Result<[NamedFrame], Error> = await withCheckedContinuation { continuation in
            let thread = Thread {
                continuation.resume(returning: Result {
                    let spec = try TrainTaskSpec.decode(bytes, cache: .shared)
                    // Each file is written into the frame that carries it (an output room in shared memory when the
                    // coordinator lent one), on this thread, while the parameters are valid: a float gradient is
                    // computed there in place.
                    let emit = { (file: TaskOutputFile) throws -> NamedFrame in
                        NamedFrame(name: file.name, frame: try frames.make(count: file.count) { try file.write(into: $0) })
                    }
                    guard spec.parameters.isEmpty, let parameters else { return try runner.run(spec, job: job, emit: emit) }
                    // Read where the frame arrived: tens of MiB not copied once more per step.
                    let outputs = parameters.withUnsafeFloats { floats in
                        Result { try runner.run(spec, job: job, parameters: floats, emit: emit) }
                    }
                    guard let outputs else {
                        throw TrainingDataError("the parameters attached are \(parameters.count) bytes, not whole Floats")
                    }
                    return try outputs.get()
                })
            }
            thread.name = "shoal-train-\(assignment.task.taskID)"
            thread.stackSize = 4 << 20
            thread.start()
        }
        if Task.isCancelled { return TaskResult(task: assignment.task, outcome: .cancelled, error: "cancelled") }
        switch outcome {
        case .success(let outputs):
            return TaskResult(task: assignment.task, outcome: .succeeded, outputs: outputs)
        case .failure(let error):
            return TaskResult(task: assignment.task, outcome: .failed, error: "\(error)")
        }
    }
}
