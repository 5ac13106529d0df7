import Foundation
import Logging
import ShoalCore
import ShoalProtocol
import ZeroMQ

/// The worker's logic behind its socket: registration, running attempts, heartbeats, coordinator liveness,
/// drain. Confined to the worker's run task, which hands it its inputs in batches (`Inbox`): results that end
/// during one batch leave together, in as few RESULT messages as the limits allow.
final class WorkerEngine {
    enum Input: Sendable {
        case socket(SocketLoop.Inbound)
        case tick
        /// The connection `reconnect` asked for is in place: HELLO goes over it.
        case reconnected
        case finished(TaskRef, TaskResult)
        case drain(reason: String)
    }

    enum Step: Equatable {
        case continuing, finished
    }

    /// An attempt running on this worker.
    struct Running {
        let handle: Task<Void, Never>
        let context: TaskContext
        let scratchCreated: Bool
    }

    let worker: Worker
    let inputs: Inbox<Input>
    var running: [TaskRef: Running] = [:]
    /// Results of attempts that ended in the current batch, sent by `flush` (or before any other message).
    var finishedResults: [TaskResult] = []
    /// Attempts handed back in BYE: their late results are not sent.
    var returned: Set<TaskRef> = []
    var registered = false
    /// A HELLO is on its way and its WELCOME has not come back yet.
    var awaitingWelcome = false
    var lastHeard: ContinuousClock.Instant = .now
    var lastSent: ContinuousClock.Instant = .now
    var heartbeatInterval: Duration
    var heartbeatTimeout: Duration
    var drainDeadline: ContinuousClock.Instant?
    var coordinatorID = ""
    /// The coordinator maps this host's shared memory (its WELCOME said so): bulk frames go through it.
    var sharedMemory = false
    /// The segment named by the HELLO in flight (`SharedMemoryProbe`), kept until WELCOME answers.
    var probe: SharedMemorySegment?
    /// The coordinator's segments this worker has mapped (its parameters, the rooms it lends).
    let mappings = SharedMemoryMappings()
    /// The last handshake failure logged, and when: the same one is logged again at most every 30 s.
    var lastHandshakeFailure: (text: String, at: ContinuousClock.Instant)?

    /// This worker's directory of attempt scratch directories (made once: NSString path joins per attempt were
    /// a noticeable share of a no-op task's cost).
    lazy var scratchRoot = (configuration.scratchDirectory as NSString).appendingPathComponent("shoal-\(configuration.id)")

    var configuration: Worker.Configuration { worker.configuration }
    var logger: Logger { worker.logger }

    init(worker: Worker, inputs: Inbox<Input>) {
        self.worker = worker
        self.inputs = inputs
        heartbeatInterval = worker.configuration.heartbeatInterval
        heartbeatTimeout = worker.configuration.heartbeatTimeout
    }

    func begin(now: ContinuousClock.Instant) {
        lastHeard = now
        sendHello(now: now)
        logger.info("worker started", metadata: [
            "worker": "\(configuration.id)", "coordinator": "\(configuration.coordinator)",
            "slots": "\(configuration.slots)", "kinds": "\(worker.executors.kinds.joined(separator: ","))",
        ])
    }

    func handle(_ input: Input, now: ContinuousClock.Instant) throws -> Step {
        switch input {
        case .socket(.message(_, let frames)):
            lastHeard = now
            return try receive(frames, now: now)
        case .socket(.event(_, let event)) where event.isHandshakeFailure:
            let text = configuration.security.explain(event, role: .worker)
            if lastHandshakeFailure.map({ $0.text != text || $0.at.duration(to: now) > .seconds(30) }) ?? true {
                logger.error("cannot connect to the coordinator: \(text)")
                lastHandshakeFailure = (text, now)
            }
            return .continuing
        case .socket(.event), .socket(.sendFailed), .socket(.refused):
            return .continuing
        case .finished(let attempt, let result):
            finish(attempt, result, now: now)
        case .drain(let reason):
            startDraining(reason: reason, now: now)
        case .tick:
            return tick(now: now)
        case .reconnected:
            sendHello(now: now)
        }
        return drainStep(now: now)
    }

    func receive(_ frames: [Frame], now: ContinuousClock.Instant) throws -> Step {
        let message: ShoalMessage
        do {
            message = try ShoalCodec.decode(frames)
        } catch {
            logger.warning("undecodable message from the coordinator", metadata: ["error": "\(error)"])
            return .continuing
        }
        switch message {
        case .welcome(let welcome):
            registered = true
            awaitingWelcome = false
            coordinatorID = welcome.coordinatorID
            sharedMemory = welcome.sharedMemory
            probe = nil
            heartbeatInterval = .milliseconds(Int64(max(welcome.heartbeatIntervalMs, 10)))
            heartbeatTimeout = .milliseconds(Int64(max(welcome.heartbeatTimeoutMs, welcome.heartbeatIntervalMs + 10)))
            logger.info("registered", metadata: [
                "coordinator": "\(welcome.coordinatorID)", "epoch": "\(welcome.epoch)", "protocol": "\(welcome.version)",
                "shared_memory": "\(welcome.sharedMemory)",
            ])
            if drainDeadline != nil { send(Drain(reason: "draining"), now: now) }
        case .task(let batch):
            for assignment in batch.assignments {
                do {
                    let (resolved, room) = try assignment.resolvingSharedMemory(using: mappings)
                    start(resolved, outputRoom: room, now: now)
                } catch {
                    // The coordinator released the stage's segment already (a task that comes too late), or
                    // shared memory failed here: the attempt fails with the reason and is retried if it matters.
                    finishedResults.append(TaskResult(
                        task: assignment.task, outcome: .failed, error: "cannot read the task's attachment: \(error)"))
                }
            }
        case .cancel(let cancel):
            for attempt in cancel.tasks {
                if let run = running[attempt] {
                    run.handle.cancel()
                } else if !returned.contains(attempt) {
                    // Never heard of (its TASK was lost) or already ended, its result sent before this CANCEL
                    // came: say so, so that the coordinator frees the slot it may still count as taken.
                    finishedResults.append(TaskResult(
                        task: attempt, outcome: .cancelled, error: "not running on this worker when cancelled"))
                }
            }
        case .heartbeat:
            break
        case .drain(let drain):
            startDraining(reason: drain.reason, now: now)
        case .bye(let bye):
            // Say goodbye too, so the coordinator forgets this worker now rather than at the heartbeat timeout.
            logger.info("dismissed by the coordinator", metadata: ["reason": "\(bye.reason)"])
            let unfinished = Array(running.keys.filter { !returned.contains($0) })
            returned.formUnion(unfinished)
            cancelAll()
            send(Bye(reason: drainDeadline != nil ? "drained" : "dismissed", returned: unfinished), now: now)
            return .finished
        case .error(let error) where error.code == .unsupportedVersion:
            throw WorkerError(description: "the coordinator refused this worker: \(error.message)")
        case .error(let error) where error.code == .notRegistered:
            // Every message sent before the coordinator forgot this worker is refused in turn: one HELLO
            // answers them all (a storm of them would arrive after the tasks the first one brought).
            registered = false
            if !awaitingWelcome { sendHello(now: now) }
        case .error(let error):
            logger.warning("the coordinator reported an error", metadata: ["error": "\(error.message)"])
        default:
            logger.warning("unexpected \(message.type) from the coordinator")
        }
        return .continuing
    }

    /// Starts an attempt on its kind's executor, in its own scratch directory.
    /// - Parameter outputRoom: shared memory the coordinator lent this attempt for its output.
    func start(_ assignment: TaskAssignment, outputRoom: SharedMemorySegment? = nil, now: ContinuousClock.Instant) {
        let attempt = assignment.task
        guard running[attempt] == nil else { return }
        guard drainDeadline == nil, let executor = worker.executors.executor(for: assignment.kind) else {
            let reason = drainDeadline != nil ? "the worker is draining" : "this worker has no '\(assignment.kind)' executor"
            finishedResults.append(
                TaskResult(task: attempt, outcome: drainDeadline != nil ? .cancelled : .failed, error: reason))
            return
        }
        if let result = executor.immediateResult(of: assignment) {
            finishedResults.append(result)
            return
        }
        // Named only for an executor that uses one (formatting the path showed in a no-op task's profile).
        let scratch = executor.usesScratchDirectory ? "\(scratchRoot)/task-\(attempt.taskID)-attempt-\(attempt.attempt)" : ""
        if executor.usesScratchDirectory {
            try? FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        }
        let context = TaskContext(
            task: attempt, scratchDirectory: scratch, frames: BulkFrames(room: outputRoom, sharedMemory: sharedMemory))
        logger.debug("attempt started", metadata: [
            "task": "\(attempt.taskID)", "attempt": "\(attempt.attempt)", "kind": "\(assignment.kind)",
        ])
        let inputs = self.inputs
        // Detached: an attempt needs nothing of the engine task's context, whose task-local values (the service
        // group's) a child task would copy, for every attempt. Cancelled through its handle (`cancel`, BYE).
        let handle = Task.detached {
            let result = await executor.run(assignment, context: context)
            inputs.post(.finished(attempt, result))
        }
        running[attempt] = Running(handle: handle, context: context, scratchCreated: executor.usesScratchDirectory)
    }

    func finish(_ attempt: TaskRef, _ result: TaskResult, now: ContinuousClock.Instant) {
        guard let ended = running.removeValue(forKey: attempt) else { return }
        if ended.scratchCreated { try? FileManager.default.removeItem(atPath: ended.context.scratchDirectory) }
        if returned.contains(attempt) { return }
        finishedResults.append(result)
    }

    /// Sends the results that ended since the last flush; the end of every batch of inputs calls it.
    func flush(now: ContinuousClock.Instant) {
        guard !finishedResults.isEmpty else { return }
        let results = finishedResults
        finishedResults = []
        lastSent = now
        if sharedMemory {
            // Outputs sent by reference become the coordinator's files: it removes them on receipt.
            for result in results {
                for output in result.outputs { (output.frame.owner as? SharedMemorySegment)?.handOver() }
            }
        }
        for batch in ResultBatch.packing(results, peerSharesMemory: sharedMemory) {
            worker.loop.send(ShoalCodec.encode(batch), on: 0)
        }
    }

    func tick(now: ContinuousClock.Instant) -> Step {
        // One HELLO per connection: a slow coordinator (reloading a large state) answers it in turn, and a
        // repeated HELLO would only arrive after the tasks its WELCOME brought. Silence past the timeout
        // reconnects, which sends a fresh one.
        if lastHeard.duration(to: now) > heartbeatTimeout {
            reconnect(now: now)
        } else if registered, lastSent.duration(to: now) >= heartbeatInterval {
            send(Heartbeat(freeSlots: UInt16(clamping: max(0, configuration.slots - running.count)),
                           progress: running.values.map(\.context.progress)), now: now)
        }
        return drainStep(now: now)
    }

    /// The coordinator has been silent past the timeout: it died or the network did. Running attempts go on;
    /// a fresh connection and HELLO (with what this worker holds) find the next coordinator.
    func reconnect(now: ContinuousClock.Instant) {
        logger.warning("no word from the coordinator for \(lastHeard.duration(to: now)); reconnecting", metadata: [
            "coordinator": "\(configuration.coordinator)", "running": "\(running.count)",
        ])
        registered = false
        lastHeard = now
        let endpoint = configuration.coordinator
        let loop = worker.loop
        let inputs = self.inputs
        // HELLO only once the new connection is there: sent before, it would go into the old one, whose queued
        // messages the disconnect drops (linger 0) — or its WELCOME would come back on it.
        awaitingWelcome = true
        Task {
            try? await loop.disconnect(endpoint, on: 0)
            try? await loop.connect(endpoint, on: 0)
            inputs.post(.reconnected)
        }
    }

    func sendHello(now: ContinuousClock.Instant) {
        awaitingWelcome = true
        let host = ProcessInfo.processInfo.hostName
        var offer = SharedMemoryProbe.none
        probe = nil
        if configuration.sharedMemory, SharedMemorySegment.isAvailable, let (made, segment) = try? SharedMemoryProbe.make() {
            offer = made
            probe = segment
        }
        send(Hello(
            workerID: configuration.id, host: host, pid: UInt32(getpid()),
            slots: UInt16(clamping: configuration.slots), cores: UInt16(clamping: ProcessInfo.processInfo.activeProcessorCount),
            memoryBytes: ProcessInfo.processInfo.physicalMemory, software: ShoalRelease.software,
            kinds: worker.executors.kinds, held: Array(running.keys.filter { !returned.contains($0) }),
            sharedMemoryProbe: offer),
             now: now)
    }

    func startDraining(reason: String, now: ContinuousClock.Instant) {
        guard drainDeadline == nil else { return }
        drainDeadline = now + configuration.drainTimeout
        logger.info("draining", metadata: ["reason": "\(reason)", "running": "\(running.count)"])
        if registered { send(Drain(reason: reason), now: now) }
    }

    /// Leaves once drained: when nothing runs, or at the drain deadline, handing back what still runs.
    func drainStep(now: ContinuousClock.Instant) -> Step {
        guard let deadline = drainDeadline else { return .continuing }
        if running.isEmpty {
            send(Bye(reason: "drained"), now: now)
            return .finished
        }
        guard now >= deadline else { return .continuing }
        let unfinished = Array(running.keys)
        returned.formUnion(unfinished)
        cancelAll()
        send(Bye(reason: "drain timeout; handing back \(unfinished.count) attempt(s)", returned: unfinished), now: now)
        return .finished
    }

    func cancelAll() {
        for attempt in running.values { attempt.handle.cancel() }
    }

    /// Sends `message` after any results still waiting, so the coordinator sees events in the order they
    /// happened (a result before the BYE that follows it).
    func send(_ message: some WireMessage, now: ContinuousClock.Instant) {
        flush(now: now)
        lastSent = now
        worker.loop.send(ShoalCodec.encode(message), on: 0)
    }
}
