import Foundation
import ShoalCore
import ShoalProtocol
import ZeroMQ

extension CoordinatorEngine {
    /// A message on the worker endpoint. The routing id is the worker's id (workers set it to their HELLO
    /// `worker_id`), so a RESULT is attributed — and fenced — even before a restarted coordinator has heard
    /// the worker's HELLO.
    /// - Parameters:
    ///   - frames: the message as it came, its routing frame first (at least two frames).
    ///   - decoded: the frames after the routing frame, decoded (`decodingWorkerMessages`).
    func handleWorkerMessage(_ frames: [Frame], _ decoded: Result<ShoalMessage, ProtocolError>, now: ContinuousClock.Instant) {
        guard let routing = frames.first, frames.count >= 2 else { return }
        let message: ShoalMessage
        switch decoded {
        case .success(let decoded):
            message = decoded
        case .failure(let error):
            refuseUndecodable(frames, socket: Coordinator.Socket.workers, error: error)
            return
        }
        let worker = routing.utf8String ?? ""
        // Any message is a sign of life (docs/protocol.md 5.2), also one this switch refuses.
        if scheduler.isRegistered(worker) { scheduler.seen(worker, now: now) }
        switch message {
        case .hello(let hello):
            register(hello, routing: routing, now: now)
        case .heartbeat(let heartbeat):
            guard scheduler.isRegistered(worker) else { return refuseUnregistered(routing, message.type) }
            scheduler.heartbeat(from: worker, progress: heartbeat.progress, now: now)
        case .result(let batch):
            let results = batch.results.contains(where: \.hasSharedMemoryOutputs)
                ? batch.results.map { sharedMemoryResolved($0, from: worker) } : batch.results
            scheduler.results(results, from: worker, now: now, into: &decided)
        case .drain(let drain):
            guard scheduler.isRegistered(worker) else { return refuseUnregistered(routing, message.type) }
            logger.info("worker draining", metadata: ["worker": "\(worker)", "reason": "\(drain.reason)"])
            decide(scheduler.drain(worker))
        case .bye(let bye):
            decide(scheduler.bye(from: worker, returned: bye.returned, reason: bye.reason, now: now))
        case .ping:
            if let reply = responder.reply(to: frames) { post(reply, on: Coordinator.Socket.workers) }
        case .error(let error):
            logger.warning("worker reported an error", metadata: ["worker": "\(worker)", "error": "\(error.message)"])
        default:
            refuse(routing, .unknownType, inReplyTo: message.type.rawValue,
                   "\(message.type) is not served on the worker endpoint", socket: Coordinator.Socket.workers)
        }
    }

    /// HELLO: negotiate the version, register, answer WELCOME (docs/protocol.md, section 5.1).
    func register(_ hello: Hello, routing: Frame, now: ContinuousClock.Instant) {
        let ours = ProtocolVersion.supported
        let version = min(ours.upperBound, hello.maxVersion)
        guard version >= max(ours.lowerBound, hello.minVersion) else {
            refuse(routing, .unsupportedVersion, inReplyTo: MessageType.hello.rawValue,
                   "no common protocol version: the worker speaks \(hello.minVersion)…\(hello.maxVersion), "
                       + "this coordinator speaks \(ours.lowerBound)…\(ours.upperBound)",
                   socket: Coordinator.Socket.workers)
            logger.warning("refused worker of another protocol version", metadata: [
                "worker": "\(hello.workerID)", "versions": "\(hello.minVersion)…\(hello.maxVersion)",
            ])
            return
        }
        guard routing.utf8String == hello.workerID else {
            refuse(routing, .malformed, inReplyTo: MessageType.hello.rawValue,
                   "a worker's ZeroMQ routing id must be its worker_id", socket: Coordinator.Socket.workers)
            return
        }
        let registration = WorkerRegistration(
            id: hello.workerID, slots: Int(hello.slots), kinds: Set(hello.kinds), held: hello.held, host: hello.host,
            pid: hello.pid, cores: Int(hello.cores), memoryBytes: hello.memoryBytes)
        let directives = scheduler.register(registration, now: now)
        // The probe is checked on every HELLO: a worker reconnecting from elsewhere loses shared memory.
        let prefix = settings.sharedMemory ? hello.sharedMemoryProbe.verify(madeBy: hello.pid) : nil
        let sharesMemory = prefix != nil
        sharedMemoryPeers[hello.workerID] = prefix
        if sharesMemory { logger.debug("worker shares this host's memory", metadata: ["worker": "\(hello.workerID)"]) }
        sendToWorker(hello.workerID, Welcome(
            version: version, coordinatorID: coordinatorID, epoch: store.epoch,
            heartbeatIntervalMs: UInt32(clamping: settings.heartbeatInterval.milliseconds),
            heartbeatTimeoutMs: UInt32(clamping: settings.heartbeatTimeout.milliseconds),
            maxPayloadFrameBytes: UInt64(ProtocolLimits.standard.maxPayloadFrameBytes), sharedMemory: sharesMemory))
        decide(directives)
    }

    /// A result with its shared-memory outputs mapped in place (and their files removed: they are this
    /// coordinator's now). One that cannot be mapped fails the attempt, which is retried like any failure:
    /// an output is never taken as empty.
    func sharedMemoryResolved(_ result: TaskResult, from worker: WorkerID) -> TaskResult {
        guard result.hasSharedMemoryOutputs else { return result }
        do {
            // An output written into the room lent to this very attempt is read where it lies; the room may
            // serve another attempt once the output is done with (its writer finished with it).
            let room = rooms[result.task]?.lease
            return try result.resolvingSharedMemory(prefix: sharedMemoryPeers[worker]) { reference in
                guard let room, reference.name == room.segment.name, reference.count <= room.segment.count else { return nil }
                room.recycle()
                return room.frame(count: reference.count)
            }
        } catch {
            logger.warning("a result's shared-memory output could not be read", metadata: [
                "worker": "\(worker)", "task": "\(result.task.taskID)", "error": "\(error)",
            ])
            return TaskResult(
                task: result.task, outcome: result.outcome == .succeeded ? .failed : result.outcome,
                exitStatus: result.exitStatus, signal: result.signal,
                error: result.error.isEmpty ? "the output in shared memory was lost: \(error)" : result.error,
                logTail: result.logTail, counters: result.counters)
        }
    }

    /// Removes shared-memory segments whose creators died (a worker or coordinator killed with -9).
    func sweepSharedMemory() {
        let removed = SharedMemorySegment.removeOrphans()
        if removed > 0 { logger.info("removed shared-memory segments of processes that died", metadata: ["count": "\(removed)"]) }
    }

    func refuseUnregistered(_ routing: Frame, _ type: MessageType) {
        refuse(routing, .notRegistered, inReplyTo: type.rawValue, "send HELLO first",
               socket: Coordinator.Socket.workers)
    }

    /// Answers what does not decode with ERROR (never an ERROR, EVENT or PONG: no refusal ping-pong).
    func refuseUndecodable(_ frames: [Frame], socket: Int, error: ProtocolError) {
        logger.debug("undecodable message", metadata: ["socket": "\(socket)", "error": "\(error)"])
        if let reply = responder.reply(to: frames) { post(reply, on: socket) }
    }

    func refuse(_ routing: Frame, _ code: ErrorReply.Code, inReplyTo type: UInt8, requestID: UInt64 = 0,
                _ text: String, socket: Int) {
        let reply = ErrorReply(code: code, inReplyTo: type, requestID: requestID, message: text)
        post([routing] + ShoalCodec.encode(reply), on: socket)
    }
}
