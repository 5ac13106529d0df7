import Dispatch
import Foundation
import ShoalCore
import ShoalProtocol
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One attempt of a `command` task, supervised from a thread of its own: set up the streams, spawn the
/// process group, feed stdin and read stderr (each on its own thread), wait for the exit, make sure nothing of
/// the group outlives it, and collect the outputs. Every blocking call happens on these threads, never on
/// Swift's cooperative pool; the async caller only awaits the supervisor's answer.
///
/// Timeout and cancellation `stop` the attempt from any thread: SIGTERM to the whole group, then SIGKILL once
/// the grace period has passed.
final class CommandAttempt: Sendable {
    /// Why the attempt was stopped before its process ended by itself.
    enum StopReason: Sendable {
        case timedOut
        case cancelled
    }

    private struct State {
        var process: CommandProcess?
        /// Set the moment the supervisor sees the exit: from then on no signal may be sent, because the pid —
        /// the group id — is about to be freed and could be reused.
        var exited = false
        var stopReason: StopReason?
    }

    private let spec: CommandTaskSpec
    private let assignment: TaskAssignment
    private let context: TaskContext
    private let inheritedEnvironment: [String: String]
    private let gracePeriod: Duration
    private let state = Mutex(State())

    /// How long the supervisor waits for stderr's end after the group is gone: only a process that left the
    /// group (a daemon) can hold the pipe open longer, and the attempt must not wait for it.
    private static let stderrDrainLimit: Duration = .seconds(2)

    init(
        spec: CommandTaskSpec, assignment: TaskAssignment, context: TaskContext,
        inheritedEnvironment: [String: String], gracePeriod: Duration
    ) {
        self.spec = spec
        self.assignment = assignment
        self.context = context
        self.inheritedEnvironment = inheritedEnvironment
        self.gracePeriod = gracePeriod
    }

    /// Runs the attempt to its end; task cancellation stops it and makes the result `.cancelled`.
    func run() async -> TaskResult {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let thread = Thread { continuation.resume(returning: self.supervise()) }
                thread.name = "shoal-command-\(assignment.task.taskID).\(assignment.task.attempt)"
                thread.start()
            }
        } onCancel: {
            stop(.cancelled)
        }
    }

    /// Stops the attempt: SIGTERM to its process group now (or as soon as it is spawned), SIGKILL after the
    /// grace period. The first reason wins; a process that already exited is left alone.
    func stop(_ reason: StopReason) {
        state.withLock { state in
            guard state.stopReason == nil, !state.exited else { return }
            state.stopReason = reason
            if let process = state.process { terminate(process) }
        }
    }

    /// Called with the state locked, so that no signal can cross the supervisor's `exited`.
    private func terminate(_ process: CommandProcess) {
        process.signalGroup(SIGTERM)
        let (seconds, attoseconds) = gracePeriod.components
        let grace = DispatchTimeInterval.nanoseconds(Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000))
        DispatchQueue.global().asyncAfter(deadline: .now() + grace) { [weak self] in
            self?.state.withLock { state in
                if !state.exited { process.signalGroup(SIGKILL) }
            }
        }
    }

    private func supervise() -> TaskResult {
        let outputDirectory = context.scratchDirectory + "/output"
        do {
            try FileManager.default.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true)
        } catch {
            return failure("cannot create the output directory \(outputDirectory): \(error.localizedDescription)")
        }
        let streams: CommandStreams
        do {
            streams = try CommandStreams.prepare(
                input: spec.input, outputFile: spec.standardOutput == .output ? outputDirectory + "/stdout" : nil)
        } catch {
            return failure(error.description)
        }
        if let reason = state.withLock({ $0.stopReason }) {
            streams.closeAll()
            return result(
                ending: nil, stopReason: reason, inputFailure: nil, logTail: "", outputDirectory: outputDirectory)
        }

        let arguments = spec.resolvedArguments(outputDirectory: outputDirectory, attempt: assignment.task.attempt)
        let process: CommandProcess
        do {
            process = try CommandProcess.spawn(
                arguments: arguments,
                environment: spec.processEnvironment(
                    inheriting: inheritedEnvironment, taskID: assignment.task.taskID,
                    attempt: assignment.task.attempt, outputDirectory: outputDirectory),
                directory: spec.workingDirectory,
                standardInput: streams.childInput, standardOutput: streams.childOutput,
                standardError: streams.childError)
        } catch {
            streams.closeAll()
            return failure("cannot run '\(arguments[0])': \(error)")
        }
        streams.closeChildEnds()
        let errors = StandardErrorReader(descriptor: streams.errorPipe, context: context)
        let feeder = streams.feed.map { InputFeeder(file: $0.file, pipe: $0.pipe, context: context) }
        state.withLock { state in
            state.process = process
            if state.stopReason != nil { terminate(process) }  // stopped while it was being spawned
        }
        if assignment.timeoutMs > 0 {
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(assignment.timeoutMs))) {
                [weak self] in self?.stop(.timedOut)
            }
        }

        let observedExit = process.waitForExit()
        let stopReason = state.withLock { state in
            // Whatever the command left running in its group ends with it, so nothing outlives the attempt
            // and stderr reaches its end.
            if observedExit { process.signalGroup(SIGKILL) }
            state.exited = true
            return state.stopReason
        }
        let ending = process.reap()
        _ = errors.waitForEnd(timeout: Self.stderrDrainLimit)
        return result(
            ending: ending, stopReason: stopReason, inputFailure: feeder?.failure, logTail: errors.logTail,
            outputDirectory: outputDirectory)
    }

    private func result(
        ending: CommandProcess.Ending?, stopReason: StopReason?, inputFailure: String?, logTail: String,
        outputDirectory: String
    ) -> TaskResult {
        var result = TaskResult(
            task: assignment.task, outcome: .failed, logTail: logTail, counters: context.progress.counters)
        switch ending {
        case .exited(let status): result.exitStatus = status
        case .signalled(let signal): result.signal = signal
        case nil: break
        }
        switch (stopReason, ending) {
        case (.cancelled, _):
            result.outcome = .cancelled
            result.error = "cancelled"
        case (.timedOut, _):
            result.error = "timed out after \(DurationText.format(.milliseconds(Int64(assignment.timeoutMs))))"
        case (nil, .exited(status: 0)):
            // A command that read a short input exits 0 all the same; its output is not to be trusted.
            if let inputFailure {
                result.error = inputFailure
                break
            }
            do {
                result.outputs = try OutputFiles.collect(in: outputDirectory)
                result.outcome = .succeeded
            } catch {
                result.error = error.description
            }
        case (nil, .exited(let status)):
            result.error = "exited with status \(status)"
        case (nil, .signalled(let signal)):
            result.error = "killed by signal \(signal)" + (SignalName.of(signal).map { " (\($0))" } ?? "")
        case (nil, nil):
            result.error = "its exit status was lost: something else in the worker reaped the process"
        }
        return result
    }

    private func failure(_ error: String) -> TaskResult {
        TaskResult(task: assignment.task, outcome: .failed, error: error, counters: context.progress.counters)
    }
}
