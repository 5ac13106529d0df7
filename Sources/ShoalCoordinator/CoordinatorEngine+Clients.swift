import Foundation
import ShoalCore
import ShoalProtocol
import ZeroMQ

extension CoordinatorEngine {
    /// A request on the client endpoint; every request is answered, with its request_id echoed.
    func handleClientMessage(_ frames: [Frame], now: ContinuousClock.Instant) throws {
        guard let routing = frames.first, frames.count >= 2 else { return }
        let message: ShoalMessage
        do {
            message = try ShoalCodec.decode(frames.dropFirst())
        } catch {
            refuseUndecodable(frames, socket: Coordinator.Socket.clients, error: error)
            return
        }
        switch message {
        case .submit(let submit):
            try accept(submit, routing: routing, now: now)
        case .status(let request):
            answerStatus(request.requestID, job: request.jobID, task: request.taskID, routing: routing, now: now)
        case .cancelJob(let request):
            guard records[request.jobID] != nil || (try? store.job(request.jobID)) != nil else {
                return refuse(routing, .notFound, inReplyTo: message.type.rawValue, requestID: request.requestID,
                              "no job \(request.jobID)", socket: Coordinator.Socket.clients)
            }
            decide(scheduler.cancelJob(request.jobID, reason: request.reason.isEmpty ? "cancelled" : request.reason))
            answerStatus(request.requestID, job: request.jobID, task: 0, routing: routing, now: now)
        case .drainWorker(let request):
            guard scheduler.isRegistered(request.workerID) else {
                return refuse(routing, .notFound, inReplyTo: message.type.rawValue, requestID: request.requestID,
                              "no registered worker '\(request.workerID)'", socket: Coordinator.Socket.clients)
            }
            sendToWorker(request.workerID, Drain(reason: "shoal drain"))
            decide(scheduler.drain(request.workerID))
            answerStatus(request.requestID, job: 0, task: 0, routing: routing, now: now)
        case .reloadKeys(let request):
            do {
                try coordinator.reloadKeys()
            } catch {
                return refuse(routing, error.curveOff ? .notFound : .invalidJob, inReplyTo: message.type.rawValue,
                              requestID: request.requestID, error.description, socket: Coordinator.Socket.clients)
            }
            answerStatus(request.requestID, job: 0, task: 0, routing: routing, now: now)
        case .ping:
            if let reply = responder.reply(to: frames) { post(reply, on: Coordinator.Socket.clients) }
        default:
            refuse(routing, .unknownType, inReplyTo: message.type.rawValue,
                   "\(message.type) is not served on the client endpoint", socket: Coordinator.Socket.clients)
        }
    }

    /// SUBMIT: the job file is parsed and planned here, so every mistake in it is reported now, with its line,
    /// and nothing is queued unless all of it is valid. The same file from the same directory submitted again
    /// while its job is unfinished resumes that job (unless `restart`).
    func accept(_ submit: SubmitJob, routing: Frame, now: ContinuousClock.Instant) throws {
        // The job's clock starts when its submission arrives: planning it (reading its input's header and
        // sample, cutting shards) and removing an earlier run's outputs are part of what the user waits for.
        let received = Date().timeIntervalSince1970
        let reply = { (message: JobAccepted) in
            self.post([routing] + ShoalCodec.encode(message), on: Coordinator.Socket.clients)
        }
        guard let text = submit.spec.utf8String else {
            return refuse(routing, .invalidJob, inReplyTo: MessageType.submit.rawValue, requestID: submit.requestID,
                          "\(submit.sourceName): the job file is not UTF-8 text", socket: Coordinator.Socket.clients)
        }
        let job: JobFile
        let plan: JobPlan
        do {
            job = try JobFile.parse(
                text: text, source: submit.sourceName, workingDirectory: submit.workingDirectory, settings: settings)
            plan = try coordinator.planners.plan(job)
        } catch {
            return refuse(routing, .invalidJob, inReplyTo: MessageType.submit.rawValue, requestID: submit.requestID,
                          error.description, socket: Coordinator.Socket.clients)
        }
        let hash = Self.specHash(text: text, workingDirectory: submit.workingDirectory)
        // The records first: a job accepted a moment ago may not be written yet (`insertJob` below).
        let unfinished = records.values.filter { $0.specHash == hash && !$0.state.isTerminal }.map(\.id).max()
        if let existing = try unfinished ?? store.unfinishedJob(specHash: hash) {
            if !submit.restart {
                logger.info("resubmitted job resumes", metadata: ["job": "\(existing)"])
                return reply(JobAccepted(requestID: submit.requestID, jobID: existing, resumed: true))
            }
            decide(scheduler.cancelJob(existing, reason: "restarted by a new submission"))
            // Durable before its outputs go and the new job is stored: a restart in between must not find both
            // unfinished, the old one counting shards that are gone.
            try settle(now: now)
        }
        if let output = plan.outputDirectory, let other = records.values.first(where: {
            !$0.state.isTerminal && $0.outputDirectory.map { OutputPaths.overlap($0, output) } ?? false
        }) {
            // Its commits and this job's would take each other's shards, and `--overwrite` would delete its
            // committed ones.
            return refuse(
                routing, .invalidJob, inReplyTo: MessageType.submit.rawValue, requestID: submit.requestID,
                "\(submit.sourceName): output: \(output) is also the output of job \(other.id) (\(other.name), "
                    + "\(other.state.rawValue)); cancel it first (shoal cancel \(other.id)) or choose another output",
                socket: Coordinator.Socket.clients)
        }
        if let output = plan.outputDirectory {
            // A shard already in place counts as committed, so an earlier run's outputs would silently stand in
            // for this run's: refuse, or with `restart` remove them first.
            let earlier = OutputCommitter.earlierOutputs(in: output)
            // A resumable kind takes up an unfinished run's files itself; only a finished run's stop it here.
            let blocking = plan.resumable ? earlier.filter { $0 == "_SUCCESS" } : earlier
            if !blocking.isEmpty && !submit.restart {
                let shown = earlier.prefix(3).joined(separator: ", ") + (earlier.count > 3 ? ", …" : "")
                return refuse(
                    routing, .invalidJob, inReplyTo: MessageType.submit.rawValue, requestID: submit.requestID,
                    "\(submit.sourceName): output: \(output) holds the outputs of an earlier run (\(shown)); "
                        + "remove them, or submit again with --overwrite (--restart) to replace them",
                    socket: Coordinator.Socket.clients)
            }
            if submit.restart {
                do { try committer.removeEarlierOutputs(in: output) } catch {
                    return refuse(
                        routing, .invalidJob, inReplyTo: MessageType.submit.rawValue, requestID: submit.requestID,
                        "\(submit.sourceName): \(error)", socket: Coordinator.Socket.clients)
                }
            } else if plan.resumable {
                // What the kind takes up is its own business (checkpoints), but an earlier run's first-stage
                // shards would count as this run's commits: they go.
                try? FileManager.default.removeItem(
                    atPath: JobPlan.stageDirectory(output, stage: 0, isLast: !plan.moreStages))
            }
        }
        let existing = plan.exclusiveOutputs.filter { FileManager.default.fileExists(atPath: $0) }
        if let first = existing.first, !submit.restart {
            return refuse(
                routing, .invalidJob, inReplyTo: MessageType.submit.rawValue, requestID: submit.requestID,
                "\(submit.sourceName): \(first) exists (an earlier run's output?); remove it, or submit again with "
                    + "--overwrite to replace it", socket: Coordinator.Socket.clients)
        }
        if let output = plan.outputDirectory, let probe = plan.outputProbe {
            // Workers that find it write their outputs into the staging area themselves; if it cannot be made,
            // they find nothing and send them.
            OutputPaths.placeProbe(probe, in: output)
        }
        let record = JobRecord(
            name: job.name, kind: job.kind, priority: job.priority, maxAttempts: job.maxAttempts,
            timeoutMs: job.timeout?.milliseconds, hangTimeoutMs: job.hangTimeout.milliseconds,
            speculation: job.speculation, source: submit.sourceName, workingDirectory: submit.workingDirectory,
            specHash: hash, outputDirectory: plan.outputDirectory, taskCount: plan.tasks.count, submittedAt: received,
            finishSpec: plan.finish, moreStages: plan.moreStages)
        // Its ids first, then the job and its tasks are written on the store's queue while this engine takes them
        // up and leases the first; those leases, and ACCEPTED, are written and sent after them.
        let ids = try store.nextIDs()
        var stored = record
        stored.id = ids.job
        stored.state = .queued
        stored.stage = 0
        let tasks = try StateStore.descriptors(plan.tasks, job: ids.job, firstID: ids.task, stage: 0)
        try pipeline.insertJob(stored, tasks: plan.tasks, firstTask: ids.task)
        records[stored.id] = stored
        decide(scheduler.addJob(stored.descriptor, tasks: tasks, moreStages: plan.moreStages))
        publish(topic: "job.\(stored.id)", kind: "job", ["job": "\(stored.id)", "state": "queued", "name": stored.name])
        logger.info("job accepted", metadata: [
            "job": "\(stored.id)", "name": "\(stored.name)", "kind": "\(stored.kind)", "tasks": "\(tasks.count)",
        ])
        reply(JobAccepted(requestID: submit.requestID, jobID: stored.id, resumed: false))
    }

    /// STATUS-REPORT for one job (with one task in detail), or for every recent job.
    func answerStatus(_ requestID: UInt64, job: JobID, task: TaskID, routing: Frame, now: ContinuousClock.Instant) {
        do {
            let status = try clusterStatus(job: job, task: task, now: now)
            outbox.append((Coordinator.Socket.clients, .status(routing: routing, requestID: requestID, status)))
        } catch let error as StatusError {
            refuse(routing, .notFound, inReplyTo: MessageType.status.rawValue, requestID: requestID,
                   error.message, socket: Coordinator.Socket.clients)
        } catch {
            refuse(routing, .internalError, inReplyTo: MessageType.status.rawValue, requestID: requestID,
                   "\(error)", socket: Coordinator.Socket.clients)
        }
    }

    var securitySummary: SecuritySummary {
        guard let authenticator = coordinator.authenticator else { return SecuritySummary(mode: "plaintext") }
        let counters = authenticator.counters
        let ring = authenticator.ring
        return SecuritySummary(
            mode: "curve",
            allowed: Dictionary(uniqueKeysWithValues: PeerRole.allCases.map { ($0.rawValue, ring.allowed[$0]?.count ?? 0) }),
            acceptedHandshakes: counters.accepted, refusedHandshakes: counters.refused,
            failedHandshakes: counters.failedHandshakes, revokedDisconnects: counters.disconnected,
            lastReload: authenticator.lastReload)
    }

    func clusterStatus(job jobID: JobID, task taskID: TaskID, now: ContinuousClock.Instant) throws -> ClusterStatus {
        let summary = CoordinatorSummary(
            id: coordinatorID, epoch: store.epoch, software: ShoalRelease.software,
            stateDirectory: settings.stateDirectory, security: securitySummary)
        let records: [JobRecord]
        if jobID == 0 {
            records = try store.jobs(limit: 50)
        } else {
            guard let record = try self.records[jobID] ?? store.job(jobID) else {
                throw StatusError(message: "no job \(jobID)")
            }
            records = [record]
        }
        let jobs = try records.map { record in
            let live = scheduler.liveStatus(of: record.id, now: now)
            var current = record
            if let live { current.state = live.state }
            // A live job's numbers come from memory: status is polled while a million-task job runs.
            return JobStatus(
                record: current, counts: live?.counts ?? Self.finishedCounts(record),
                retries: try live?.retries ?? store.retries(ofJob: record.id), records: live?.records ?? 0,
                bytes: try live?.bytes ?? committedBytes(of: current),
                counters: try store.counters(ofJob: record.id),
                running: live?.running ?? [], troubles: try store.troubles(ofJob: record.id, limit: jobID == 0 ? 3 : 20))
        }
        var detail: TaskDetail?
        if taskID != 0 {
            guard var found = try store.taskDetail(taskID, job: jobID) else {
                throw StatusError(message: "job \(jobID) has no task \(taskID)")
            }
            if let state = scheduler.state(ofTask: taskID) { found.state = state }
            detail = found
        }
        let workers = scheduler.workerStatuses(now: now).map { status in
            var status = status
            status.sharedMemory = sharedMemoryPeers[status.id] != nil ? true : nil
            return status
        }
        return ClusterStatus(coordinator: summary, jobs: jobs, workers: workers, task: detail)
    }

    /// The committed input bytes of a job the scheduler no longer holds, from the store (once, if it finished).
    func committedBytes(of record: JobRecord) throws -> UInt64 {
        if let bytes = finishedBytes[record.id] { return bytes }
        let bytes = try store.committedInputBytes(ofJob: record.id)
        if record.state.isTerminal {
            if finishedBytes.count >= 256 { finishedBytes.removeAll() }
            finishedBytes[record.id] = bytes
        }
        return bytes
    }

    /// Counts for a job the scheduler no longer holds, from its final state.
    static func finishedCounts(_ record: JobRecord) -> TaskCounts {
        if let counts = record.finalCounts { return counts }
        var counts = TaskCounts()
        if record.state == .succeeded { counts.succeeded = record.taskCount }
        return counts
    }

    /// FNV-1a (64-bit) of the job file and the directory it was submitted from: identifies "the same job" for
    /// resubmission. Not a security boundary, so no cryptographic hash (and no crypto dependency) is needed.
    static func specHash(text: String, workingDirectory: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 + [0] + workingDirectory.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        return String(hash, radix: 16)
    }
}

/// A STATUS request named something that does not exist.
struct StatusError: Error {
    var message: String
}
