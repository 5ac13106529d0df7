import Foundation
import Logging
import ShoalCore
import ShoalProtocol
import ZeroMQ

/// The coordinator's shell around the `Scheduler`: decodes what the sockets deliver, feeds the scheduler,
/// and carries out its directives in the one order that keeps the promises — commit outputs, persist in one
/// transaction, then send.
///
/// Inputs come in batches (whatever arrived while the previous batch was handled, `Inbox`). Every input of a
/// batch only *decides* — scheduler directives and outgoing messages pile up — and `settle` then carries out
/// the whole batch: commits, one store transaction, one dispatch round, and only then the messages (group
/// commit). Under load a batch holds hundreds of results, so a task costs a few row writes, not a transaction,
/// a dispatch scan and a message of its own.
///
/// Confined to the coordinator's run task: not `Sendable`, touched by one task only.
final class CoordinatorEngine {
    /// What the engine reacts to.
    enum Input: Sendable {
        case socket(SocketLoop.Inbound)
        /// Nothing but another batch: the last one's dispatch stopped at `dispatchChunk` with tasks left to start.
        case dispatch
        /// A message on the worker socket, decoded on its way here (`decodingWorkerMessages`).
        case worker(frames: [Frame], Result<ShoalMessage, ProtocolError>)
        case tick
    }

    /// `inbound` as the engine's inputs, a worker's message decoded by the task that forwards it, not by the
    /// engine: under load the engine is what the cluster waits on, and decoding RESULTs was a twentieth of its
    /// time; the forwarder runs on another core meanwhile.
    static func decodingWorkerMessages(_ item: SocketLoop.Inbound) -> Input {
        guard case .message(Coordinator.Socket.workers, let frames) = item, frames.count >= 2 else { return .socket(item) }
        do {
            return .worker(frames: frames, .success(try ShoalCodec.decode(frames.dropFirst())))
        } catch {
            return .worker(frames: frames, .failure(error))
        }
    }

    let coordinator: Coordinator
    var scheduler: Scheduler
    let committer = OutputCommitter()
    /// Batches being persisted on the store's queue, their messages sent from there (`carryOut`).
    let pipeline: WritePipeline
    let responder: PingResponder
    /// Job records of jobs the scheduler holds (output directory, name, timestamps).
    var records: [JobID: JobRecord] = [:]
    let coordinatorID: String
    var eventSequence: UInt64 = 0
    var lastHeartbeatSent = ContinuousClock.now
    var lastProgressEvent = ContinuousClock.now
    /// Directives decided in the current batch, carried out by `settle`.
    var decided: [SchedulerDirective] = []
    /// Messages of the current batch, sent by `settle` once what they announce is durable.
    var outbox: [(socket: Int, message: OutgoingMessage)] = []
    /// Summaries of jobs finished in the current batch, recorded by `settle`.
    var finishedSummaries: [(JobID, String)] = []
    /// Outputs of ephemeral tasks (`PlannedTask.ephemeral`), held for the kind's `nextStage`: job → stage → index.
    var heldOutputs: [JobID: [Int: [Int: [String: Frame]]]] = [:]
    /// The committed input bytes of finished jobs, as `shoal status` last read them from the store: they no longer
    /// change, and reading them decodes the job's plan and runs (`shoal submit --wait` asks once more at the end,
    /// while the next job may be running). Emptied when it grows past 256 jobs.
    var finishedBytes: [JobID: UInt64] = [:]
    /// Workers whose shared-memory probe this coordinator found (`SharedMemoryProbe`), with the prefix their
    /// segments' names must carry: bulk frames to and from them go through shared memory.
    var sharedMemoryPeers: [WorkerID: String] = [:]
    /// Segments of the parameters and output rooms, reused step after step (`SharedMemoryPool`).
    let sharedMemoryPool = SharedMemoryPool()
    /// Output rooms lent to running attempts (`OutputRoomRequest`), until the attempt ends.
    var rooms: [TaskRef: (job: JobID, lease: SharedMemoryLease)] = [:]
    /// When segments left by processes that died were last removed (`SharedMemorySegment.removeOrphans`).
    var lastOrphanSweep = ContinuousClock.now
    var logger: Logger { coordinator.logger }
    var loop: SocketLoop { coordinator.loop }
    var store: StateStore { coordinator.store }
    var settings: Settings { coordinator.settings }

    init(coordinator: Coordinator) throws {
        self.coordinator = coordinator
        scheduler = Scheduler(configuration: Scheduler.Configuration(coordinator.settings))
        responder = PingResponder(role: "coordinator", software: ShoalRelease.software)
        pipeline = WritePipeline(store: coordinator.store, loop: coordinator.loop)
        coordinatorID = "\(ProcessInfo.processInfo.hostName):\(getpid())"
        if coordinator.settings.sharedMemory { sweepSharedMemory() }
        try recover(now: .now)
    }

    /// Reloads every unfinished job; attempts that were running are leased back to their workers, which have
    /// the heartbeat timeout to reconnect and say they still hold them.
    func recover(now: ContinuousClock.Instant) throws {
        let wallNow = Date().timeIntervalSince1970
        for reloaded in try store.loadUnfinished() {
            var tasks = reloaded.tasks
            var reconciled: [SchedulerDirective] = []
            // Tasks whose shard was found in place, with the attempt that committed it (0: no record says).
            var foundInPlace: [TaskID: UInt32] = [:]
            if reloaded.record.outputDirectory != nil {
                // A shard renamed into place by a coordinator that died before recording it is committed.
                for index in tasks.indices where tasks[index].state != .succeeded {
                    let directory = reloaded.record.commitDirectory(stage: tasks[index].stage)!
                    guard FileManager.default.fileExists(
                        atPath: OutputCommitter.shardPath(directory, index: tasks[index].index)) else { continue }
                    tasks[index].state = .succeeded
                    // Its attempt recorded as the dead coordinator would have: ended succeeded, its counters
                    // counted. Without a record (lost to a power cut), only the task's state.
                    if let commit = CommitRecord.read(directory, index: tasks[index].index),
                       commit.task == tasks[index].id, commit.attempt >= 1, commit.attempt <= tasks[index].lastAttempt
                    {
                        reconciled.append(.attemptEnded(commit.attemptRecord(job: reloaded.record.id)))
                        foundInPlace[tasks[index].id] = commit.attempt
                    } else {
                        reconciled.append(.taskChanged(
                            task: tasks[index].id, job: reloaded.record.id, state: .succeeded,
                            failures: tasks[index].failures))
                        foundInPlace[tasks[index].id] = 0
                    }
                }
            }
            records[reloaded.record.id] = reloaded.record
            let directives = scheduler.addJob(
                reloaded.record.descriptor, tasks: tasks, state: reloaded.record.state, stage: reloaded.record.stage,
                moreStages: reloaded.record.moreStages)
            var closed: [SchedulerDirective] = []
            for lease in reloaded.leases {
                let age = Duration.milliseconds(Int64(max(0, wallNow - lease.startedAt) * 1000))
                if let committed = foundInPlace[lease.attempt.taskID] {
                    if committed == lease.attempt.attempt { continue }  // ended by its commit record, above
                } else if scheduler.restoreLease(lease.attempt, worker: lease.worker, startedAt: now - age, now: now) {
                    continue
                }
                // Left open, the lease would be restored at the next restart ahead of its task's real attempt.
                closed.append(.attemptEnded(AttemptRecord(
                    task: lease.attempt, job: reloaded.record.id, worker: lease.worker, ending: .unreported,
                    error: "not resumed after the coordinator restarted: its task had ended", runtime: age)))
            }
            decide(reconciled + closed + directives)
            logger.info("resumed job", metadata: [
                "job": "\(reloaded.record.id)", "name": "\(reloaded.record.name)",
                "leases": "\(reloaded.leases.count)",
            ])
        }
        try settle(now: now)
    }

    /// Handles a batch of inputs, then carries out everything they decided.
    ///
    /// The clock's tick comes last, once per batch: after a long batch (a million-task job being stored) the
    /// heartbeats that queued up meanwhile are counted before anyone is judged silent.
    func handle(_ batch: [Input], now: ContinuousClock.Instant) throws {
        var ticked = false
        for input in batch {
            if case .tick = input {
                ticked = true
                continue
            }
            try handle(input, now: now)
        }
        if ticked { try handle(.tick, now: now) }
        let (starts, more) = scheduler.dispatch(now: now, limit: Self.dispatchChunk)
        decide(starts)
        try settle(now: now)
        if more { coordinator.inbox.post(.dispatch) }
    }

    /// The most attempts one batch starts on a worker. The rest start in the batches after it, the next at once
    /// (`Input.dispatch`): a job's first leases go out a chunk at a time, each stored and sent while the next is
    /// decided, rather than all of them after the last is written (a 20,000-task job waited ~8 ms for its first
    /// 2,048 on 2 workers × 1,024 slots).
    static let dispatchChunk = 256

    func handle(_ input: Input, now: ContinuousClock.Instant) throws {
        switch input {
        case .socket(.message(let socket, let frames)):
            switch socket {
            case Coordinator.Socket.workers:
                // The forwarder decodes them first; one that comes undecoded is decoded here (one of fewer than
                // two frames has no message: dropped).
                if case .worker(let frames, let decoded) = Self.decodingWorkerMessages(.message(socket: socket, frames: frames)) {
                    handleWorkerMessage(frames, decoded, now: now)
                }
            case Coordinator.Socket.clients: try handleClientMessage(frames, now: now)
            default: break
            }
        case .worker(let frames, let decoded):
            handleWorkerMessage(frames, decoded, now: now)
        case .dispatch:
            break  // the batch's end dispatches
        case .socket(.sendFailed(let socket, let error, let frames)):
            // A worker or client that went away between its request and our reply: its routing id is gone.
            logger.debug("message not delivered", metadata: [
                "socket": "\(socket)", "error": "\(error)", "peer": "\(frames.first?.utf8String ?? "?")",
            ])
            // Attempts whose TASK never left would otherwise hold their leases (and the worker's slots) until
            // the hang timeout: the worker's next HELLO cannot speak for leases it never heard of.
            if socket == Coordinator.Socket.workers, frames.count >= 2, let worker = frames[0].utf8String,
               case .task(let batch)? = try? ShoalCodec.decode(frames.dropFirst())
            {
                logger.warning("worker unreachable: a TASK could not be sent, its connection is gone", metadata: [
                    "worker": "\(worker)", "attempts": "\(batch.assignments.count)",
                    "until": "heard from again, or declared dead",
                ])
                decide(scheduler.undelivered(batch.assignments.map(\.task), to: worker, now: now))
            }
        case .socket(.event(let socket, let event)):
            if event.isHandshakeFailure, let role = Self.role(ofSocket: socket) {
                coordinator.authenticator?.noteFailedHandshake(event, role: role)
            }
        case .socket(.refused(let socket, let peer, let address)):
            if let role = Self.role(ofSocket: socket) {
                coordinator.authenticator?.noteDisconnected(peer: peer, address: address, role: role)
            }
        case .tick:
            if settings.sharedMemory, lastOrphanSweep.duration(to: now) > .seconds(60) {
                lastOrphanSweep = now
                sweepSharedMemory()
                // Segments that came back to the pool after the last job ended (its last step's parameters).
                if rooms.isEmpty && scheduler.activeJobs.isEmpty { sharedMemoryPool.drain() }
            }
            decide(scheduler.tick(now: now))
            sendHeartbeats(now: now)
            publishProgress(now: now)
        }
    }

    /// The role a socket serves (its ZAP domain).
    static func role(ofSocket socket: Int) -> PeerRole? {
        switch socket {
        case Coordinator.Socket.workers: .worker
        case Coordinator.Socket.clients: .client
        default: nil
        }
    }

    func decide(_ directives: [SchedulerDirective]) {
        decided.append(contentsOf: directives)
    }

    /// Queues a message to go out at the end of the batch, after the batch's state is durable.
    func post(_ frames: [Frame], on socket: Int) {
        outbox.append((socket, .frames(frames)))
    }

    /// Carries out what the batch decided: commits first (which decide more), then one transaction for
    /// everything to persist, then the messages, in the order they were decided (`carryOut`).
    ///
    /// When the batch writes shard files, what it decided before the commits (new leases, replies) is made
    /// durable and sent first, in a transaction of its own: a worker whose result is being committed already
    /// holds its next task, instead of idling through the commit's writes and fsyncs (on the ETL benchmark,
    /// 8 MB and four fsyncs per shard: a tenth of a worker's time). Batches without files keep one transaction.
    func settle(now: ContinuousClock.Instant) throws {
        try pipeline.check()
        if decided.contains(where: writesFiles) {
            let early = decided
            decided = early.filter { if case .commit = $0 { true } else { false } }
            try carryOut(early.filter { if case .commit = $0 { false } else { true } }, now: now)
        }
        var index = 0
        // The last commit directory looked up: a batch's commits are nearly all of one job and stage, and a
        // lookup copies the job's record.
        var directory: (job: JobID, stage: Int, path: String?)?
        while index < decided.count {
            defer { index += 1 }
            guard case .commit(let commit) = decided[index] else { continue }
            if directory.map({ $0.job != commit.job || $0.stage != commit.stage }) ?? true {
                directory = (commit.job, commit.stage, records[commit.job]?.commitDirectory(stage: commit.stage))
            }
            // Its job was cancelled or failed since (in this batch): nothing of it is written. (Asked only
            // where something would be: the call copies the whole scheduler out of this class, and `committed`
            // checks the same for itself.)
            if commit.ephemeral || directory?.path != nil {
                guard scheduler.isCommitting(commit.task) else { continue }
            }
            if commit.ephemeral {
                // Made again if lost: held in memory for the next stage's planning, no file, no sync.
                var files: [String: Frame] = [:]
                for output in commit.outputs { files[output.name] = output.frame }
                heldOutputs[commit.job, default: [:]][commit.stage, default: [:]][commit.index] = files
                scheduler.committed(commit.task, now: now, into: &decided)
                continue
            }
            do {
                let outcome = try committer.commit(
                    commit.outputs, index: commit.index, attempt: commit.task, outputDirectory: directory?.path,
                    record: directory?.path == nil ? nil : CommitRecord(
                        task: commit.task, worker: commit.worker, runtime: commit.runtime, logTail: commit.logTail,
                        counters: commit.counters))
                if case .alreadyCommitted(let path) = outcome {
                    logger.info("shard already committed; this copy discarded", metadata: [
                        "task": "\(commit.task)", "path": "\(path)",
                    ])
                }
                scheduler.committed(commit.task, now: now, into: &decided)
            } catch {
                logger.error("commit failed", metadata: ["task": "\(commit.task)", "error": "\(error)"])
                decided.append(contentsOf: scheduler.commitFailed(commit.task, error: "\(error)", now: now))
            }
        }
        finishSucceededJobs()
        let directives = decided
        decided.removeAll(keepingCapacity: true)
        try carryOut(directives, now: now)
        // A stage that completed is durable now: plan the next one, and carry out what that decides.
        var staged = false
        for case .stageCompleted(let job, let stage) in directives {
            startStage(after: stage, of: job)
            staged = true
        }
        if staged {
            decide(scheduler.dispatch(now: now))
            try settle(now: now)
        }
    }

    /// Persists `directives` in one transaction, then sends the messages queued so far and those the directives
    /// say to send.
    ///
    /// A batch that only starts, ends and commits attempts (nearly every batch under load) goes to the store's
    /// queue (`WritePipeline`), and its messages leave from there once it is durable, while the engine goes on:
    /// on the scheduling benchmark SQLite was two fifths of the engine's time. A batch that changes a job's state
    /// or completes a stage is carried out here, after everything queued: what follows it (the job's `_SUCCESS`,
    /// its final counts and summary, the next stage's planning) expects it durable.
    func carryOut(_ directives: [SchedulerDirective], now: ContinuousClock.Instant) throws {
        if finishedSummaries.isEmpty && directives.allSatisfy(Self.isPipelined) {
            // Most of a busy batch's directives send nothing: passed over without a copy of each.
            for index in directives.indices where !rooms.isEmpty || !directives[index].sendsNothing {
                send(directives[index], now: now)
            }
            let messages = outbox
            outbox.removeAll(keepingCapacity: true)
            try pipeline.persistThenSend(directives, messages)
            return
        }
        try pipeline.drain()
        try store.apply(directives)
        for (job, summary) in finishedSummaries {
            do { try store.recordSummary(summary, ofJob: job) } catch {
                logger.error("cannot record the job's summary", metadata: ["job": "\(job)", "error": "\(error)"])
            }
        }
        finishedSummaries.removeAll()
        flushOutbox()
        for directive in directives { send(directive, now: now) }
        flushOutbox()
    }

    /// Whether a batch holding `directive` may be persisted on the store's queue (`carryOut`).
    static func isPipelined(_ directive: SchedulerDirective) -> Bool {
        switch directive {
        case .start, .cancel, .commit, .attemptEnded, .taskChanged, .workerJoined, .workerLeft, .dismiss: true
        case .jobChanged, .stageCompleted: false
        }
    }

    /// Sends the messages queued so far (once everything queued to the store is durable: `carryOut` drains it).
    private func flushOutbox() {
        let messages = outbox
        outbox.removeAll(keepingCapacity: true)
        for (socket, message) in messages { loop.send(message.frames, on: socket) }
    }

    /// A commit that writes files into an output directory (and syncs them): slow enough to send first.
    private func writesFiles(_ directive: SchedulerDirective) -> Bool {
        guard case .commit(let commit) = directive else { return false }
        return !commit.ephemeral && !commit.outputs.isEmpty
            && records[commit.job]?.commitDirectory(stage: commit.stage) != nil
    }

    /// Asks the job's kind for the stage after `stage` (every task of which committed), stores its tasks and
    /// queues them; a stage that cannot be planned fails the job with the reason.
    func startStage(after stage: Int, of job: JobID) {
        guard let record = records[job], let planner = coordinator.planners.planner(for: record.kind) else { return }
        do {
            let workers = scheduler.workerStatuses(now: .now).filter { $0.kinds.contains(record.kind) && !$0.draining }
            let outputs = heldOutputs[job]?.removeValue(forKey: stage) ?? [:]
            // The stage's bulk frames (a step's parameters) go in shared memory when a worker can map it.
            let frames = workers.contains { sharedMemoryPeers[$0.id] != nil } ? BulkFrames(pool: sharedMemoryPool) : .heap
            let plan = try planner.nextStage(
                after: stage, spec: record.finishSpec ?? [], job: record,
                cluster: StageContext(workers: workers.count, outputs: outputs, frames: frames))
            let tasks = try store.insertStage(
                stage + 1, of: job, tasks: plan.tasks, moreStages: plan.moreStages, progress: plan.progress)
            if let progress = plan.progress { records[job]?.summary = progress }
            records[job]?.stage = stage + 1
            records[job]?.moreStages = plan.moreStages
            records[job]?.taskCount += tasks.count
            // A training job plans a stage per step (ephemeral tasks): one line each would flood the log.
            let level: Logger.Level = !tasks.isEmpty && plan.tasks.allSatisfy(\.ephemeral) ? .debug : .info
            logger.log(level: level, "job stage planned", metadata: [
                "job": "\(job)", "stage": "\(stage + 1)", "tasks": "\(tasks.count)",
            ])
            publish(topic: "job.\(job)", kind: "job", ["job": "\(job)", "stage": "\(stage + 1)"])
            decide(scheduler.addStage(job, tasks: tasks, moreStages: plan.moreStages))
        } catch {
            logger.error("planning the job's next stage failed", metadata: ["job": "\(job)", "error": "\(error)"])
            decide(scheduler.failJob(job, error: "planning stage \(stage + 1): \(error)"))
        }
    }

    /// Runs the kind's finishing step (an ETL job's merge) for every job this batch decided has succeeded,
    /// before that is recorded: a job whose finishing fails is recorded as failed with that error instead.
    func finishSucceededJobs() {
        for index in decided.indices {
            guard case .jobChanged(let job, .succeeded, _) = decided[index], let record = records[job],
                  let spec = record.finishSpec, let planner = coordinator.planners.planner(for: record.kind)
            else { continue }
            do {
                if let summary = try planner.finish(spec, job: record) {
                    records[job]?.summary = summary
                    finishedSummaries.append((job, summary))
                }
            } catch {
                logger.error("finishing the job failed", metadata: ["job": "\(job)", "error": "\(error)"])
                decided[index] = .jobChanged(job: job, state: .failed, error: "finishing the job: \(error)")
            }
        }
    }

    /// An attempt's attachments as its worker gets them: an output-room request becomes a room lent to this
    /// attempt alone when the worker shares this host's memory, and goes otherwise.
    func attachments(of start: AttemptStart, to worker: WorkerID) -> [Frame] {
        if start.attachments.isEmpty { return [] }
        return start.attachments.compactMap { frame in
            guard let request = OutputRoomRequest.of(frame) else { return frame }
            guard sharedMemoryPeers[worker] != nil, request.bytes >= SharedMemorySegment.minimumBytes,
                  let lease = try? sharedMemoryPool.lease(count: request.bytes, outputRoom: true)
            else { return nil }
            rooms[start.task] = (start.job, lease)
            return lease.frame
        }
    }

    /// Sends what one directive says to send, and publishes its events.
    func send(_ directive: SchedulerDirective, now: ContinuousClock.Instant) {
        if !rooms.isEmpty, case .attemptEnded(let record) = directive {
            // Its output room goes: back to the pool only if its result came (the writer is done with it).
            rooms[record.task] = nil
        }
        switch directive {
        case .start(let worker, let attempts):
            // A job's first start is when it goes from queued to running (the store recorded it already).
            // (The jobs are found by hand: a batch's starts are nearly all of one job, and a set of them was
            // one hash per task.)
            var jobs: [JobID] = []
            for start in attempts where !jobs.contains(start.job) { jobs.append(start.job) }
            for job in jobs.sorted() where records[job]?.state == .queued {
                records[job]?.state = .running
                publish(topic: "job.\(job)", kind: "job", ["job": "\(job)", "state": JobState.running.rawValue])
            }
            // Stay well inside the message limits: at most 1,000 assignments per TASK, and specs of at most
            // 16 MiB together (they travel in one frame).
            var chunk: [TaskAssignment] = []
            var specBytes = 0
            for start in attempts {
                if !chunk.isEmpty && (chunk.count == 1_000 || specBytes + start.spec.count > 16 << 20) {
                    sendToWorker(worker, TaskBatch(chunk, peerSharesMemory: sharedMemoryPeers[worker] != nil))
                    chunk.removeAll(keepingCapacity: true)
                    specBytes = 0
                }
                chunk.append(TaskAssignment(
                    task: start.task, jobID: start.job, kind: start.kind, timeoutMs: start.timeoutMs, spec: start.spec,
                    attachments: attachments(of: start, to: worker)))
                specBytes += start.spec.count
            }
            if !chunk.isEmpty { sendToWorker(worker, TaskBatch(chunk, peerSharesMemory: sharedMemoryPeers[worker] != nil)) }
        case .cancel(let worker, let attempts, let reason):
            sendToWorker(worker, CancelTasks(tasks: attempts, reason: reason))
        case .dismiss(let worker, let reason):
            sendToWorker(worker, Bye(reason: reason))
        case .jobChanged(let job, let state, let error):
            jobChanged(job, state: state, error: error)
        case .workerJoined(let worker):
            publish(topic: "cluster", kind: "worker", ["worker": worker, "event": "joined"])
            logger.info("worker joined", metadata: ["worker": "\(worker)"])
        case .workerLeft(let worker, let reason):
            sharedMemoryPeers[worker] = nil
            publish(topic: "cluster", kind: "worker", ["worker": worker, "event": "left", "reason": reason])
            logger.warning("worker left", metadata: ["worker": "\(worker)", "reason": "\(reason)"])
        case .attemptEnded(let record) where record.ending.countsAsFailure:
            logger.warning("attempt ended", metadata: [
                "task": "\(record.task)", "worker": "\(record.worker)", "ending": "\(record.ending.rawValue)",
                "error": "\(record.error)",
            ])
        case .attemptEnded, .taskChanged, .commit, .stageCompleted:
            break
        }
    }

    func jobChanged(_ job: JobID, state: JobState, error: String?) {
        if var record = records[job] {
            record.state = state
            record.error = error
            records[job] = record
        }
        var document: [String: String] = ["job": "\(job)", "state": state.rawValue]
        if let error { document["error"] = error }
        publish(topic: "job.\(job)", kind: "job", document)
        logger.info("job \(state.rawValue)", metadata: ["job": "\(job)", "error": "\(error ?? "")"])
        guard state.isTerminal else { return }
        rooms = rooms.filter { $0.value.job != job }
        // Between jobs the pool's segments would only hold memory (tens of MiB each, in /dev/shm).
        if rooms.isEmpty && records.values.allSatisfy({ $0.state.isTerminal }) { sharedMemoryPool.drain() }
        if let counts = scheduler.liveStatus(of: job, now: .now, limit: 0)?.counts {
            do { try store.recordFinalCounts(counts, ofJob: job) } catch {
                logger.error("cannot record the job's final counts", metadata: ["job": "\(job)", "error": "\(error)"])
            }
        }
        if state == .succeeded, let record = records[job], let output = record.outputDirectory {
            let summary = (try? JSONSerialization.data(
                withJSONObject: ["job": job, "name": record.name, "tasks": record.taskCount, "epoch": store.epoch],
                options: [.sortedKeys])) ?? Data()
            do { try committer.markSucceeded(output, summary: summary) } catch {
                logger.error("cannot write _SUCCESS", metadata: ["job": "\(job)", "error": "\(error)"])
            }
        }
        if let kind = records[job]?.kind { coordinator.planners.planner(for: kind)?.jobEnded(job) }
        scheduler.forgetJob(job)
        records[job] = nil
        heldOutputs[job] = nil
    }

    /// Every registered worker hears from the coordinator at least once per heartbeat interval.
    func sendHeartbeats(now: ContinuousClock.Instant) {
        guard lastHeartbeatSent.duration(to: now) >= settings.heartbeatInterval else { return }
        lastHeartbeatSent = now
        for worker in scheduler.workerStatuses(now: now) { sendToWorker(worker.id, Heartbeat()) }
    }

    /// About once a second, each running job's counts go out on its event topic.
    func publishProgress(now: ContinuousClock.Instant) {
        guard lastProgressEvent.duration(to: now) >= .seconds(1) else { return }
        lastProgressEvent = now
        for job in scheduler.activeJobs {
            guard let live = scheduler.liveStatus(of: job, now: now, limit: 0) else { continue }
            publish(topic: "job.\(job)", kind: "progress", [
                "job": "\(job)", "state": live.state.rawValue, "queued": "\(live.counts.queued)",
                "running": "\(live.counts.running)", "succeeded": "\(live.counts.succeeded)",
                "failed": "\(live.counts.failed)", "retries": "\(live.retries)",
            ])
        }
    }

    func sendToWorker(_ worker: WorkerID, _ message: some WireMessage) {
        post([Frame(worker)] + ShoalCodec.encode(message), on: Coordinator.Socket.workers)
    }

    /// A TASK is encoded where it is sent (`OutgoingMessage`): on the store's queue, off this engine, when its
    /// batch is pipelined.
    func sendToWorker(_ worker: WorkerID, _ batch: TaskBatch) {
        outbox.append((Coordinator.Socket.workers, .task(routing: Frame(worker), batch)))
    }

    func publish(topic: String, kind: String, _ document: [String: String]) {
        eventSequence += 1
        let json = (try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys])) ?? Data()
        let event = ClusterEvent(
            sequence: eventSequence, timeMs: UInt64(Date().timeIntervalSince1970 * 1000), kind: kind,
            document: Frame([UInt8](json)))
        post(ShoalCodec.encodeEvent(topic: topic, event), on: Coordinator.Socket.events)
    }

    /// Graceful shutdown: workers are told nothing (they keep running their attempts and reconnect to the next
    /// coordinator on this state directory); the state is already durable.
    func shutdown() {
        // What is queued to the store is made durable, and its messages go, before the sockets close.
        do { try pipeline.drain() } catch {
            logger.error("the last batches of the coordinator's state were not persisted", metadata: ["error": "\(error)"])
        }
        logger.info("shutting down; \(scheduler.activeJobs.count) unfinished job(s) resume on restart")
        // The pool's segments and those still leased: a process leaving does not run their deinits. Workers
        // keep whatever they mapped.
        if settings.sharedMemory { SharedMemorySegment.removeFiles(ofProcess: UInt32(getpid())) }
    }
}

/// A message the engine queued to send at the end of its batch: its frames, or a TASK or STATUS_REPORT still to
/// encode. Those are encoded by whoever sends them — the store's queue for a pipelined batch (`WritePipeline`) —
/// because encoding them was a tenth of the engine's time on the scheduling benchmark (the TASKs; the status
/// JSON that `shoal submit --wait` polls for another twentieth), and the engine is what the cluster waits on.
enum OutgoingMessage: Sendable {
    case frames([Frame])
    case task(routing: Frame, TaskBatch)
    case status(routing: Frame, requestID: UInt64, ClusterStatus)

    var frames: [Frame] {
        switch self {
        case .frames(let frames):
            return frames
        case .task(let routing, let batch):
            return [routing] + ShoalCodec.encode(batch)
        case .status(let routing, let requestID, let status):
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            do {
                let document = try encoder.encode(status)
                return [routing] + ShoalCodec.encode(StatusReport(requestID: requestID, document: Frame([UInt8](document))))
            } catch {
                return [routing] + ShoalCodec.encode(ErrorReply(
                    code: .internalError, inReplyTo: MessageType.status.rawValue, requestID: requestID, message: "\(error)"))
            }
        }
    }
}
