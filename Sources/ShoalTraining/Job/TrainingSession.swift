import Foundation
import ShoalETL
import Synchronization

/// The coordinator's side of a training job, between the cluster's stages.
///
/// A `train` job runs as stages of tasks (the runtime's `JobPlanner.nextStage`):
/// - stage 0: the statistics pass, one task per training shard;
/// - stage `j` in 1…S (S steps): step `j − 1` — one task per worker (its group of shards' micro-batches),
///   carrying the parameters; plus, when step `j − 2` ended an epoch, one validation task per validation shard
///   with the same parameters;
/// - stage S + 1, with validation data only: the last epoch's validation.
///
/// Between stages the session absorbs what the tasks committed — sums the gradients, applies the optimizer,
/// merges validation metrics — and plans the next stage. It checkpoints every `checkpointEvery` steps; a
/// restarted coordinator restores the newest checkpoint and replays the stages since from their committed
/// gradients (kept until the next checkpoint), which gives exactly the state it lost.
public struct TrainingSession: Sendable {
    /// What the statistics pass fixed: written once to `_training/setup.json`.
    public struct Setup: Codable, Sendable, Equatable {
        /// The job these files belong to (`TrainJobPlanner.owner`: the job's id, submission time and spec hash):
        /// a later job writing to the same directory never takes them for its own.
        public var owner: String
        public var encoding: FeatureEncoding
        public var plan: MicroBatchPlan
        public var trainShards: [InputShard]
        public var validationShards: [InputShard]
        public var statistics: ShardStatistics
        /// The job file's spec hash: an unfinished run's files are taken up by a later submission of the same file
        /// (`adopt`).
        public var specHash: String?
        /// A job that took up an earlier run's checkpoint starts its steps at the runtime's stage 1 where the plan
        /// is further on: plan stage = runtime stage + `stageOffset`.
        public var stageOffset: Int?
        /// The step of the earlier run's checkpoint this job took up (`adopt`), if it took one up. Not
        /// `stageOffset`, which a `replan` after an ordinary restart also moves.
        public var adoptedStep: Int?
    }

    /// A task of a stage, as the runtime's planner turns it into a `PlannedTask`.
    public struct StageTask: Sendable, Equatable {
        public var index: Int
        public var label: String
        public var spec: [UInt8]
        public var inputBytes: UInt64
        public var affinity: Int
        /// `TrainJob.backupWorkers`, for the runtime's backup copies.
        public var backups: Int
        /// The task's output can be made again (a step's gradient, validation metrics): held in the coordinator's
        /// memory rather than committed (`PlannedTask.ephemeral`); all but the last stage's.
        public var ephemeral: Bool
        /// The spec leaves the parameters out: they go with it as an attachment, one frame of the current
        /// parameters (`state.parameters`) shared by every such task of the stage. Ephemeral tasks only (an
        /// attachment is not stored); the last stage's tasks carry the parameters in their stored spec.
        public var attachesParameters: Bool
        /// The most bytes its output takes (a step's gradient file), when the coordinator should lend each
        /// attempt room for it in shared memory (`OutputRoomRequest`); 0: none.
        public var outputBytes = 0
    }

    public let job: TrainJob
    public private(set) var setup: Setup
    public let network: Network
    public private(set) var state: TrainingState
    public private(set) var history: [StepRecord]
    public private(set) var evaluations: [EpochRecord]
    /// Wall-clock time each stage was planned (seconds since 1970), for the steps' wall times.
    private var plannedAt: [Int: Double] = [:]
    /// The job's task context, encoded once (`TrainTaskSpec.Context`).
    private var context: [UInt8]?
    /// Each training shard's group in the last step planned (`regroup`).
    private var shardGroups: [Int] = []

    public var plan: MicroBatchPlan { setup.plan }
    public var totalSteps: Int { plan.totalSteps }
    public var hasValidation: Bool { !setup.validationShards.isEmpty }
    /// The job's last stage.
    /// The job's last stage, in the runtime's numbering.
    public var lastStage: Int { planLastStage - offset }
    /// The plan's last stage: S steps, then validation if any.
    var planLastStage: Int { totalSteps + (hasValidation ? 1 : 0) }
    /// Plan stage − runtime stage (`Setup.stageOffset`).
    public var offset: Int { setup.stageOffset ?? 0 }
    /// The step whose checkpoint this job took up from an earlier run, if it did.
    public var resumedFrom: Int? { setup.adoptedStep }

    public static func directory(_ job: TrainJob) -> String { job.output + "/_training" }

    // MARK: - Starting and restoring

    /// After the statistics pass: merges the shards' statistics (in shard order) into the encoding and the
    /// plan, and writes them with the starting point (a checkpoint of step 0).
    /// - Parameter statistics: each training shard's `statistics.json`, in shard order.
    public static func start(
        owner: String, job: TrainJob, trainShards: [InputShard], statistics: [[UInt8]], specHash: String? = nil
    ) throws
        -> TrainingSession
    {
        guard statistics.count == trainShards.count else {
            throw TrainingDataError("the statistics pass committed \(statistics.count) of \(trainShards.count) shards")
        }
        let (merged, rows) = try merge(statistics)
        guard merged.rows > 0 else {
            throw TrainingDataError("the training data holds no rows (\(merged.badRows) bad rows were skipped)")
        }
        let encoding = merged.encoding(features: job.data.features, label: job.data.label)
        guard encoding.width > 0 else {
            throw TrainingDataError("the features encode to no inputs (a one-hot column with no values?)")
        }
        let config = job.config
        // Now that the one-hot widths are known: fail the job, rather than allocate what cannot be sent.
        if let problem = GradientFile.sizeProblem(
            parameters: Network(spec: config.model, inputs: encoding.width).parameterCount, fixedPoint: config.deterministic)
        {
            throw TrainingDataError("\(problem) (\(encoding.width) inputs once the features are encoded)")
        }
        let plan = MicroBatchPlan(
            shardRows: rows, microBatchSize: config.microBatchSize, batchSize: config.batchSize, epochs: config.epochs,
            seed: config.seed)
        let validationShards = try job.data.validation.map { try ETLInputPlanning.shards(of: $0) } ?? []
        let setup = Setup(
            owner: owner, encoding: encoding, plan: plan, trainShards: trainShards, validationShards: validationShards,
            statistics: merged, specHash: specHash, stageOffset: nil)
        try FileManager.default.createDirectory(atPath: directory(job), withIntermediateDirectories: true)
        // Checkpoints of an earlier job in this directory must not be taken for this one's.
        for step in try checkpointSteps(job) { try? FileManager.default.removeItem(atPath: checkpointPath(job, step: step)) }
        try AtomicFile.write(Array(JSONEncoder.sorted.encode(setup)), to: directory(job) + "/setup.json")
        let network = Network(spec: config.model, inputs: encoding.width)
        let session = TrainingSession(
            job: job, setup: setup, network: network, state: TrainingState(network: network, config: config),
            history: [], evaluations: [])
        try session.writeCheckpoint()
        return session
    }

    /// The session as its files left it: the setup and the newest checkpoint of this job.
    /// - Throws: when the job has no setup or checkpoint (its statistics stage never completed).
    public static func restore(owner: String, job: TrainJob) throws -> TrainingSession {
        let dir = directory(job)
        guard let setupData = FileManager.default.contents(atPath: dir + "/setup.json") else {
            throw TrainingDataError("\(dir)/setup.json is missing: the job's statistics pass left nothing to resume from")
        }
        let setup = try JSONDecoder().decode(Setup.self, from: setupData)
        guard setup.owner == owner else {
            throw TrainingDataError("\(dir) belongs to another job (\(setup.owner), not \(owner))")
        }
        let checkpoints = try checkpointSteps(job)
        guard let newest = checkpoints.last,
              let bytes = FileManager.default.contents(atPath: checkpointPath(job, step: newest))
        else { throw TrainingDataError("\(dir) holds no checkpoint") }
        let checkpoint = try Checkpoint.decode(Array(bytes))
        guard checkpoint.owner == owner else { throw TrainingDataError("\(dir): a checkpoint of another job") }
        return TrainingSession(
            job: job, setup: setup, network: Network(spec: job.config.model, inputs: setup.encoding.width),
            state: checkpoint.state, history: checkpoint.history, evaluations: checkpoint.evaluations)
    }

    /// The statistics pass's shard files merged in shard order, and each shard's rows.
    public static func merge(_ statistics: [[UInt8]]) throws -> (merged: ShardStatistics, rows: [Int]) {
        var merged = ShardStatistics()
        var rows: [Int] = []
        for bytes in statistics {
            let shard = try JSONDecoder().decode(ShardStatistics.self, from: Data(bytes))
            rows.append(shard.rows)
            merged.merge(shard)
        }
        return (merged, rows)
    }

    /// Takes up an earlier, unfinished run of the same job file on the same data: its newest checkpoint becomes
    /// this job's starting point (`resumedFrom`), its stage directories are removed (this job's stages reuse
    /// their numbers), and the files are made this job's. Nil when there is nothing to take up: no checkpoint,
    /// another job file (spec hash), other data (shards), or a run that had finished.
    /// - Parameter statistics: this run's statistics pass (`merge`): "the same data" means the same shards and
    ///   the same statistics — a file rewritten in place (a gzip file is one shard whatever it holds) is other data.
    public static func adopt(
        owner: String, job: TrainJob, specHash: String, trainShards: [InputShard], statistics: ShardStatistics
    ) -> TrainingSession? {
        let dir = directory(job)
        guard let data = FileManager.default.contents(atPath: dir + "/setup.json"),
              var setup = try? JSONDecoder().decode(Setup.self, from: data),
              setup.specHash == specHash, setup.trainShards == trainShards, setup.statistics == statistics,
              let newest = try? checkpointSteps(job).last,
              let bytes = FileManager.default.contents(atPath: checkpointPath(job, step: newest)),
              let checkpoint = try? Checkpoint.decode(Array(bytes)), checkpoint.owner == setup.owner,
              checkpoint.state.step < setup.plan.totalSteps
        else { return nil }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: job.output)) ?? []
        for name in names where (name.hasPrefix("_stage-") && name != "_stage-0")
            || (name.hasPrefix("shard-") && Int(name.dropFirst(6)) != nil)
        {
            try? FileManager.default.removeItem(atPath: job.output + "/" + name)
        }
        setup.owner = owner
        setup.stageOffset = checkpoint.state.step
        setup.adoptedStep = checkpoint.state.step
        let session = TrainingSession(
            job: job, setup: setup, network: Network(spec: job.config.model, inputs: setup.encoding.width),
            state: checkpoint.state, history: checkpoint.history, evaluations: checkpoint.evaluations)
        do {
            try AtomicFile.write(Array(JSONEncoder.sorted.encode(setup)), to: dir + "/setup.json")
            try session.writeCheckpoint()
        } catch {
            return nil
        }
        return session
    }

    /// The session as it was just before stage `stage` is absorbed: restored from the newest checkpoint, then
    /// the stages after it replayed from the gradients they committed (`directory(stage)`).
    public static func resumed(owner: String, job: TrainJob, before stage: Int, directory: (Int) -> String) throws
        -> TrainingSession
    {
        var session = try restore(owner: owner, job: job)
        // Runtime stages: the plan's, less the offset. Steps whose gradients were held in memory by the coordinator
        // that died are gone: replay stops at the first stage without files, and the caller plans on from there
        // (`replan`).
        var next = session.state.step + 1 - session.offset
        while next < stage, !committedFiles(in: directory(next)).isEmpty {
            try session.absorb(stage: next, directory: directory(next), now: 0)
            next += 1
        }
        return session
    }

    init(
        job: TrainJob, setup: Setup, network: Network, state: TrainingState, history: [StepRecord],
        evaluations: [EpochRecord]
    ) {
        self.job = job
        self.setup = setup
        self.network = network
        self.state = state
        self.history = history
        self.evaluations = evaluations
    }

    // MARK: - Stages

    /// Whether stage `stage`'s results are in the state already (a coordinator that restarted after absorbing it,
    /// before the next stage was stored).
    public func hasAbsorbed(stage runtimeStage: Int) -> Bool {
        let stage = runtimeStage + offset
        if stage <= totalSteps { return state.step >= stage }
        return evaluations.contains { $0.epoch == job.config.epochs - 1 }
    }

    /// The tasks of stage `stage` (≥ 1), at the current parameters.
    ///
    /// A step's micro-batches go to `groups` tasks (at most one per shard): shard `s` belongs to group
    /// `s mod groups`, the task's affinity, so each worker keeps computing on the shards it holds. The grouping
    /// changes nothing in the result (fixed-point sums), only who computes what; the coordinator sizes it to
    /// the workers it has.
    public mutating func tasks(ofStage runtimeStage: Int, groups: Int = 1, now: Double) throws -> [StageTask] {
        let stage = runtimeStage + offset
        // Errors, not preconditions: a coordinator must fail the job, never crash, on a planning mistake.
        guard stage >= 1 && stage <= planLastStage else {
            throw TrainingDataError("a training job of \(totalSteps) steps has no stage \(stage)")
        }
        plannedAt[stage] = now
        if stage == planLastStage && !checkpointed(step: state.step) {
            // The last stage's outputs are files that `finish` reads; the state it finishes from must survive a
            // restart too, or a coordinator dying now would have nothing to finish from (the gradients before
            // were held in memory).
            try writeCheckpoint()
        }
        let context = try self.context ?? TrainTaskSpec.Context(job: job, encoding: setup.encoding).encoded()
        self.context = context
        var tasks: [StageTask] = []
        if stage <= totalSteps {
            let step = stage - 1
            guard state.step == step else {
                throw TrainingDataError("planning step \(step + 1) from the state after step \(state.step)")
            }
            shardGroups = Self.regroup(shardGroups, shards: setup.trainShards.count, groups: groups)
            let groups = Set(shardGroups).count
            var byGroup: [Int: [Int: [MicroBatchPlan.MicroBatch]]] = [:]
            for id in plan.step(step).microBatches {
                let m = plan.microBatch(id)
                byGroup[shardGroups[m.shard], default: [:]][m.shard, default: []].append(m)
            }
            for group in byGroup.keys.sorted() {
                let parts = byGroup[group]!.sorted { $0.key < $1.key }.map {
                    StepPart(shard: setup.trainShards[$0.key], microBatches: $0.value)
                }
                let count = parts.reduce(0) { $0 + $1.microBatches.count }
                let ephemeral = stage < planLastStage
                let spec = try TrainTaskSpec.encode(
                    context: context, task: .step(step: step, parts: parts), parameters: ephemeral ? [] : state.parameters)
                tasks.append(StageTask(
                    index: tasks.count,
                    label: "step \(step + 1): \(count) micro-batches of \(parts.count) shard(s) (group \(group) of \(groups))",
                    spec: spec, inputBytes: 0, affinity: group, backups: job.backupWorkers,
                    ephemeral: ephemeral, attachesParameters: ephemeral,
                    outputBytes: ephemeral ? GradientFile.maximumBytes(parameters: network.parameterCount, fixedPoint: job.config.deterministic) : 0))
            }
        }
        if stage >= 2, let epoch = epochEnded(byStep: stage - 2) {
            let ephemeral = stage < planLastStage
            for shard in setup.validationShards {
                let spec = try TrainTaskSpec.encode(
                    context: context, task: .evaluate(epoch: epoch, shard: shard), parameters: ephemeral ? [] : state.parameters)
                tasks.append(StageTask(
                    index: tasks.count, label: "validation after epoch \(epoch + 1): \(shard.label)",
                    spec: spec, inputBytes: 0, affinity: Self.validationAffinity + shard.index,
                    backups: job.backupWorkers, ephemeral: ephemeral, attachesParameters: ephemeral))
            }
        }
        return tasks
    }

    /// Spreads the training shards over `groups` groups (a step's tasks; the group is the tasks' affinity, so a
    /// group's shards stay with the worker that holds them), keeping the previous assignment where it can: the
    /// first time round-robin; then the shards of groups that no longer exist go to the smallest groups, and
    /// shards move one at a time from the largest group to the smallest until no two differ by more than one. A
    /// worker joining thus takes about a group's share of shards from the others and nothing else moves.
    /// (The grouping never changes the result: gradients add in fixed point.)
    public static func regroup(_ previous: [Int], shards: Int, groups requested: Int) -> [Int] {
        let groups = max(1, min(requested, shards))
        guard previous.count == shards else { return (0..<shards).map { $0 % groups } }
        var members = [[Int]](repeating: [], count: groups)
        var orphans: [Int] = []
        for (shard, group) in previous.enumerated() {
            if group < groups { members[group].append(shard) } else { orphans.append(shard) }
        }
        func smallest() -> Int { members.indices.min { (members[$0].count, $0) < (members[$1].count, $1) }! }
        func largest() -> Int { members.indices.max { (members[$0].count, -$0) < (members[$1].count, -$1) }! }
        for shard in orphans { members[smallest()].append(shard) }
        while members[largest()].count - members[smallest()].count > 1 {
            let from = largest(), to = smallest()
            members[to].append(members[from].removeLast())
        }
        var assignment = [Int](repeating: 0, count: shards)
        for (group, shards) in members.enumerated() { for shard in shards { assignment[shard] = group } }
        return assignment
    }

    /// Affinities of validation shards start here, apart from the training shards'.
    public static let validationAffinity = 1 << 30

    /// The epoch that step `step` ended, if it ended one and there is validation data.
    func epochEnded(byStep step: Int) -> Int? {
        guard hasValidation, step >= 0, step < totalSteps, plan.endsEpoch(step) else { return nil }
        return step / plan.stepsPerEpoch
    }

    /// Takes in what stage `stage`'s tasks committed under `directory`: the step's gradients (applied), the
    /// validation metrics. Checkpoints when one is due.
    public mutating func absorb(stage runtimeStage: Int, directory: String, now: Double) throws {
        try absorb(stage: runtimeStage, files: Self.committedFiles(in: directory), from: directory, now: now)
    }

    /// `absorb` from the outputs the coordinator held in memory (`StageContext.outputs`), by task index.
    /// - Parameter publish: room for `network.parameterCount` little-endian `Float`s (the frame that will carry
    ///   them to the workers): the step's new parameters are written there as the update makes them.
    /// - Returns: whether `publish` now holds the parameters (the stage had a step to apply, on a little-endian
    ///   host); if not, its bytes are undefined.
    @discardableResult
    public mutating func absorb(
        stage runtimeStage: Int, outputs: [Int: TaskFiles], now: Double, publish: UnsafeMutableRawBufferPointer? = nil
    ) throws -> Bool {
        try absorb(
            stage: runtimeStage, files: outputs.sorted { $0.key < $1.key }.map { ($0.key, $0.value) },
            from: "stage \(runtimeStage)", now: now, publish: publish)
    }

    /// The task files committed under `directory` (`shard-NNNNN/…`), by task index.
    public static func stageFiles(in directory: String) -> [Int: TaskFiles] {
        Dictionary(uniqueKeysWithValues: committedFiles(in: directory).map { ($0.index, $0.files) })
    }

    /// Whether runtime stage `stage` is the one the state is ready to absorb.
    public func isNext(stage runtimeStage: Int) -> Bool { runtimeStage + offset == state.step + 1 }

    /// Plans on from the state as it is (the newest checkpoint, replayed) when the stages after it cannot be
    /// absorbed — their gradients were held by a coordinator that died: runtime stage `stage` becomes the plan's
    /// next stage, and the steps since the checkpoint are computed again (to the same bits).
    public mutating func replan(from runtimeStage: Int) throws {
        setup.stageOffset = state.step + 1 - runtimeStage
        try AtomicFile.write(Array(JSONEncoder.sorted.encode(setup)), to: Self.directory(job) + "/setup.json")
    }

    /// A task's output files by name: bytes read from disk, or a frame as it arrived (read in place).
    public typealias TaskFiles = [String: any ContiguousBytes]

    @discardableResult
    mutating func absorb(
        stage runtimeStage: Int, files: [(index: Int, files: TaskFiles)], from directory: String, now: Double,
        publish: UnsafeMutableRawBufferPointer? = nil
    ) throws -> Bool {
        guard !hasAbsorbed(stage: runtimeStage) else { return false }
        var published = false
        let stage = runtimeStage + offset
        let started = ContinuousClock.now
        if stage <= totalSteps {
            let step = stage - 1
            let gradients = try files.compactMap { entry in
                try entry.files["gradient.bin"].map { try GradientFile.View($0, parameterCount: network.parameterCount) }
            }
            let expected = Set(plan.step(step).microBatches)
            let covered = gradients.flatMap(\.header.microBatches)
            guard gradients.allSatisfy({ $0.header.step == step }), covered.count == expected.count,
                  Set(covered) == expected
            else {
                throw IncompleteStageError(
                    description: "\(directory): the committed gradients do not cover step \(step + 1)'s micro-batches exactly")
            }
            var metrics = StepMetrics()
            for g in gradients { metrics.add(g.metrics) }
            guard gradients.allSatisfy({ $0.isFixedPoint == job.config.deterministic }) else {
                throw TrainingDataError(
                    job.config.deterministic ? "a float gradient in a deterministic job" : "a fixed-point gradient in a float job")
            }
            guard metrics.loss.isFinite else {
                throw TrainingDataError(
                    "training diverged at step \(step + 1): the loss is \(metrics.loss) (try a smaller learning rate)")
            }
            // The mean gradient is made chunk by chunk from the frames as they arrived, and each chunk goes
            // through the optimizer while in cache, the chunks on every core (`Optimizer.update`).
            let examples = max(metrics.examples, 1)
            let deterministic = job.config.deterministic
            let overflow = Mutex<FixedPointError?>(nil)
            var target: UnsafeMutablePointer<Float>?
            #if _endian(little)
            if let publish {
                precondition(publish.count == 4 * network.parameterCount, "room for other parameters")
                target = publish.bindMemory(to: Float.self).baseAddress
            }
            #endif
            published = target != nil
            let (applied, nonFinite) = Self.withValues(of: gradients[...], pointers: []) { sources in
                state.apply(metrics: metrics, plan: plan, config: job.config, publish: target) { range, mean in
                    guard deterministic else {
                        DenseKernels.scaledSum(
                            of: sources.map { $0 + 4 * range.lowerBound }, count: range.count,
                            factor: 1 / Float(examples), into: mean)
                        return
                    }
                    do throws(FixedPointError) {
                        try FixedPointVector.quotients(ofSums: sources, range: range, dividedBy: examples, into: mean)
                    } catch {
                        overflow.withLock { if $0 == nil || error.index < $0!.index { $0 = error } }
                        mean.update(repeating: 0, count: range.count)
                    }
                }
            }
            if let error = overflow.withLock({ $0 }) {
                throw TrainingDataError(
                    "training diverged at step \(step + 1): the gradient sum \(error) (try a smaller learning rate)")
            }
            var record = applied
            if let bad = nonFinite {
                throw TrainingDataError(
                    "training diverged at step \(step + 1): parameter \(bad) became \(state.parameters[bad])"
                        + " (try a smaller learning rate or standardized features)")
            }
            let aggregate = started.duration(to: .now)
            record.communication = communication(
                gradients, aggregate: aggregate, wall: plannedAt[stage].map { now - $0 })
            history.append(record)
        }
        if stage >= 2, let epoch = epochEnded(byStep: stage - 2) {
            var merged = EvaluationMetrics(binary: job.config.model.head == .logistic)
            var count = 0
            for entry in files {
                guard let bytes = entry.files["evaluation.json"] else { continue }
                let part = try JSONDecoder().decode(EvaluationMetrics.self, from: bytes.withUnsafeBytes { Data($0) })
                guard part.epoch == epoch else { continue }
                merged.add(part)
                count += 1
            }
            guard count == setup.validationShards.count else {
                throw TrainingDataError("\(directory): \(count) of \(setup.validationShards.count) validation shards committed")
            }
            let auc = merged.auc
            evaluations.append(EpochRecord(
                epoch: epoch, step: stage - 1, examples: merged.metrics.examples, loss: merged.metrics.loss,
                accuracy: merged.metrics.accuracy, auc: auc?.value, aucErrorBound: auc?.errorBound))
        }
        if state.step % job.checkpointEvery == 0 || stage == planLastStage {
            try writeCheckpoint()
        }
        return published
    }

    /// Calls `body` with the start of each gradient's values, in order (each valid only inside `body`).
    static func withValues<R>(
        of gradients: ArraySlice<GradientFile.View>, pointers: [UnsafeRawPointer], _ body: ([UnsafeRawPointer]) -> R
    ) -> R {
        guard let first = gradients.first else { return body(pointers) }
        return first.withValues { raw in
            // No address only for a model without parameters, whose sum reads nothing.
            guard let base = raw.baseAddress else { return body([]) }
            return withValues(of: gradients.dropFirst(), pointers: pointers + [base], body)
        }
    }

    func communication(_ gradients: [GradientFile.View], aggregate: Duration, wall: Double?) -> StepCommunication {
        let parameterBytes = network.parameterCount * 4
        let gradientBytes = network.parameterCount * (job.config.deterministic ? 16 : 4)
        let compute = Double(gradients.map(\.header.computeNanos).max() ?? 0) / 1e6
        let load = Double(gradients.map(\.header.loadNanos).max() ?? 0) / 1e6
        let workers = Set(gradients.map(\.header.worker)).count
        let wallMs = (wall ?? 0) * 1000
        let communicationSeconds = (wallMs - compute - load) / 1000
        var busbw = 0.0
        if wall != nil, communicationSeconds > 0, workers > 0 {
            busbw = Double(parameterBytes) / communicationSeconds / 1e9 * 2 * Double(workers - 1) / Double(workers)
        }
        return StepCommunication(
            tasks: gradients.count, workers: workers, bytes: gradients.count * (parameterBytes + gradientBytes),
            wallMs: wallMs, computeMs: compute, loadMs: load,
            aggregateMs: Double(aggregate.components.attoseconds) / 1e15 + Double(aggregate.components.seconds) * 1000,
            busbwGBps: busbw)
    }

    /// The files of each committed task under `directory` (`shard-NNNNN/…`), in task order.
    static func committedFiles(in directory: String) -> [(index: Int, files: TaskFiles)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        // An unreadable file counts as missing: the stage's check (micro-batches covered exactly) says so.
        return names.compactMap { name -> (Int, TaskFiles)? in
            guard name.hasPrefix("shard-"), let index = Int(name.dropFirst(6)) else { return nil }
            let shardDirectory = directory + "/" + name
            var files: TaskFiles = [:]
            for file in (try? FileManager.default.contentsOfDirectory(atPath: shardDirectory)) ?? [] {
                if let data = FileManager.default.contents(atPath: shardDirectory + "/" + file) { files[file] = Array(data) }
            }
            return (index, files)
        }.sorted { $0.0 < $1.0 }
    }

    // MARK: - Checkpoints

    static func checkpointPath(_ job: TrainJob, step: Int) -> String {
        directory(job) + "/checkpoint-\(String(format: "%08d", step)).bin"
    }

    static func checkpointSteps(_ job: TrainJob) throws -> [Int] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory(job))) ?? []
        return names.compactMap { name in
            guard name.hasPrefix("checkpoint-"), name.hasSuffix(".bin") else { return nil }
            return Int(name.dropFirst("checkpoint-".count).dropLast(4))
        }.sorted()
    }

    func checkpointed(step: Int) -> Bool {
        FileManager.default.fileExists(atPath: Self.checkpointPath(job, step: step))
    }

    /// Writes the current state as a checkpoint, then drops all but the two newest checkpoints and the stage
    /// directories the new checkpoint covers (their gradients are in it).
    public func writeCheckpoint() throws {
        let checkpoint = Checkpoint(owner: setup.owner, state: state, history: history, evaluations: evaluations)
        try AtomicFile.write(try checkpoint.encoded(), to: Self.checkpointPath(job, step: state.step))
        for old in try Self.checkpointSteps(job).dropLast(2) {
            try? FileManager.default.removeItem(atPath: Self.checkpointPath(job, step: old))
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: job.output)) ?? []
        for name in names where name.hasPrefix("_stage-") {
            // Stage j holds step j − 1 (and validation of the parameters before it): covered once j ≤ step.
            if let stage = Int(name.dropFirst(7)), stage + offset <= state.step {
                try? FileManager.default.removeItem(atPath: job.output + "/" + name)
            }
        }
    }
}

/// A stage's outputs do not cover its step (some were lost with a coordinator that held them): the step is
/// planned again rather than absorbed.
public struct IncompleteStageError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(description: String) { self.description = description }
}
