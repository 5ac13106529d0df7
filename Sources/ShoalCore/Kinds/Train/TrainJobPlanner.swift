import ShoalProtocol
import Foundation
import ShoalETL
import ShoalTraining
import Synchronization
import ZeroMQ

/// A received frame is read in place by the training session (its gradients).
extension Frame: ContiguousBytes {}

/// Plans a `train` job: reads its sections (docs/training.md), checks every column against the training
/// file's schema at submit time, and runs it as stages — the statistics pass, then one stage per step (see
/// `TrainingSession`). Between stages the coordinator's session absorbs the committed gradients and plans the
/// next step with the new parameters.
public struct TrainJobPlanner: JobPlanner {
    public let kind = "train"
    public static let keys = [
        "data", "model", "optimizer", "batch_size", "micro_batch_size", "epochs", "seed", "deterministic",
        "checkpoint", "output", "aggregation",
    ]
    /// Training shards are smaller than ETL's (4 MiB, about 24,000 rows of the clicks data): a step's tasks are
    /// per shard, and more shards spread over more workers.
    public static let defaultShardBytes = 4 << 20

    public init() {}

    public func plan(_ job: JobFile) throws(JobFileError) -> JobPlan {
        let train = try Self.parse(job)
        let shards: [InputShard]
        do {
            shards = try ETLInputPlanning.shards(of: train.data.train)
        } catch {
            throw try job.reader(keys: Self.keys).error("\(error)", key: "data")
        }
        let tasks = shards.map { shard in
            PlannedTask(
                index: shard.index, label: "statistics of \(shard.label)",
                spec: (try? TrainTaskSpec(job: train, task: .statistics(shard: shard), encoding: nil).encoded()) ?? [],
                inputBytes: UInt64(shard.end == Int64.max ? 0 : shard.end - shard.start), affinity: shard.index)
        }
        let finish = (try? JSONEncoder().encode(train)).map { Array($0) }
        return JobPlan(tasks: tasks, outputDirectory: train.output, finish: finish, moreStages: true, resumable: true)
    }

    public func nextStage(after stage: Int, spec: [UInt8], job: JobRecord) throws -> StagePlan {
        try nextStage(after: stage, spec: spec, job: job, cluster: StageContext(workers: 1))
    }

    /// Plans the stage after `stage`; a step's micro-batches are split into one task per worker (by shard).
    public func nextStage(after stage: Int, spec: [UInt8], job: JobRecord, cluster: StageContext) throws -> StagePlan {
        let now = Date().timeIntervalSince1970
        var session: TrainingSession
        // The parameters after this stage, written by the update itself (`TrainingSession.absorb(…publish:)`).
        var parameterFrame: Frame?
        if stage == 0 {
            let train = try Self.decode(spec)
            let shards = try ETLInputPlanning.shards(of: train.data.train)
            let directory = job.commitDirectory(stage: 0)!
            let statistics = { () throws -> [[UInt8]] in
                try shards.map { shard -> [UInt8] in
                    let path = OutputPaths.shard(directory, index: shard.index) + "/statistics.json"
                    guard let data = FileManager.default.contents(atPath: path) else {
                        throw StageError(description: "\(path) is missing")
                    }
                    return Array(data)
                }
            }
            if let restored = try? TrainingSession.restore(owner: Self.owner(job), job: train) {
                session = restored
            } else if let fresh = try? TrainingSession.merge(try statistics()),
                      let adopted = TrainingSession.adopt(
                          owner: Self.owner(job), job: train, specHash: job.specHash, trainShards: shards,
                          statistics: fresh.merged)
            {
                // The same job file on the same data, left unfinished by an earlier run: go on from its checkpoint.
                session = adopted
            } else {
                let statistics = try statistics()
                session = try TrainingSession.start(
                    owner: Self.owner(job), job: train, trainShards: shards, statistics: statistics, specHash: job.specHash)
            }
        } else {
            session = try Self.session(for: job, spec: spec, before: stage)
            // The stage's outputs: held in memory by this coordinator, or files (tasks reloaded after a restart
            // commit theirs, empty).
            var outputs: [Int: TrainingSession.TaskFiles] = cluster.outputs.mapValues { $0.mapValues { $0 } }
            for (index, files) in TrainingSession.stageFiles(in: job.commitDirectory(stage: stage)!) where outputs[index] == nil {
                outputs[index] = files
            }
            if session.hasAbsorbed(stage: stage) {
                // Absorbed already (a restart after it): nothing to add.
            } else {
                do {
                    guard session.isNext(stage: stage) else { throw IncompleteStageError(description: "not next") }
                    // The new parameters go straight into the frame that will carry them to the workers, chunk by
                    // chunk as the update makes them, rather than copied there afterwards.
                    var published = false
                    let frame = try cluster.frames.make(count: 4 * session.network.parameterCount) { room in
                        published = try session.absorb(stage: stage, outputs: outputs, now: now, publish: room)
                    }
                    if published { parameterFrame = frame }
                } catch is IncompleteStageError {
                    // The stage's gradients (and perhaps earlier ones since the checkpoint) were held by a
                    // coordinator that died: plan on from the state the checkpoint gives; those steps run again.
                    try session.replan(from: stage + 1)
                }
            }
        }
        let tasks = try session.tasks(ofStage: stage + 1, groups: cluster.workers, now: now)
        // One frame of the parameters for every task of the stage that takes them as an attachment: written once
        // per step, sent to each worker without a further copy.
        let parameters = tasks.contains(where: \.attachesParameters)
            ? parameterFrame ?? Frame(floats: session.state.parameters) : nil
        Self.sessions.store(session, for: job)
        return StagePlan(
            tasks: tasks.map {
                PlannedTask(
                    index: $0.index, label: $0.label, spec: $0.spec, inputBytes: $0.inputBytes, affinity: $0.affinity,
                    backups: $0.backups, ephemeral: $0.ephemeral,
                    attachments: ($0.attachesParameters ? parameters.map { [$0] } ?? [] : [])
                        + ($0.outputBytes > 0 ? [OutputRoomRequest(bytes: $0.outputBytes).frame] : []))
            },
            moreStages: stage + 1 < session.lastStage, progress: session.progress())
    }

    public func finish(_ spec: [UInt8], job: JobRecord) throws -> String? {
        var session = try Self.session(for: job, spec: spec, before: job.stage)
        try session.absorb(stage: job.stage, directory: job.commitDirectory(stage: job.stage)!, now: Date().timeIntervalSince1970)
        let summary = try session.writeOutputs(wallSeconds: Date().timeIntervalSince1970 - job.submittedAt)
        Self.sessions.remove(job)
        return summary
    }

    /// A failed or cancelled job's session goes (a finished one's went in `finish`).
    public func jobEnded(_ job: JobID) { Self.sessions.remove(id: job) }

    /// The job's session as it stood before `stage` was absorbed (or after: absorbing again is a no-op): from
    /// memory, or restored from its checkpoint and replayed (a restarted coordinator).
    /// - Parameter spec: the job's finish spec (its `TrainJob`), decoded only when the session is not held: a
    ///   step's planning does not parse the whole job description again.
    static func session(for job: JobRecord, spec: [UInt8], before stage: Int) throws -> TrainingSession {
        // Taken out of the table, not copied: the caller mutates it (parameters, optimizer moments: tens of MiB
        // each), and a copy left in the table would make every step copy them all (copy-on-write). `nextStage`
        // stores it back.
        if let held = sessions.take(for: job), held.state.step >= min(stage - 1 + held.offset, held.totalSteps) {
            return held
        }
        return try TrainingSession.resumed(owner: owner(job), job: decode(spec), before: stage) { job.commitDirectory(stage: $0)! }
    }

    static func decode(_ spec: [UInt8]) throws -> TrainJob { try JSONDecoder().decode(TrainJob.self, from: Data(spec)) }

    /// Who a training directory belongs to: the job's id, submission time and spec hash. Ids repeat across state
    /// directories (every `shoal run` starts at job 1), so the id alone would let a new run take an old run's
    /// checkpoints for its own.
    static func owner(_ job: JobRecord) -> String { "job \(job.id) submitted \(job.submittedAt) spec \(job.specHash)" }

    /// Sessions of the running training jobs of this process, by job (and output, should two coordinators share
    /// a process, as tests do).
    static let sessions = SessionTable()

    final class SessionTable: Sendable {
        private let table = Mutex<[String: TrainingSession]>([:])

        func key(_ job: JobRecord) -> String { "\(job.id)@\(job.outputDirectory ?? "")@\(job.submittedAt)" }
        func take(for job: JobRecord) -> TrainingSession? { table.withLock { $0.removeValue(forKey: key(job)) } }
        func store(_ session: TrainingSession, for job: JobRecord) { table.withLock { $0[key(job)] = session } }
        func remove(_ job: JobRecord) { _ = table.withLock { $0.removeValue(forKey: key(job)) } }
        /// Every session of job `id` (of any coordinator in the process: ids are per state directory, and a job
        /// that ended is planned no more).
        func remove(id: JobID) { table.withLock { $0 = $0.filter { !$0.key.hasPrefix("\(id)@") } } }
    }
}
