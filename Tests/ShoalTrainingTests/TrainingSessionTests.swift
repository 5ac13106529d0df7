import Foundation
import ShoalETL
import ShoalTestSupport
import Testing
@testable import ShoalTraining

/// The coordinator's side of a training job, driven in-process: every stage's tasks run through the worker's
/// `TrainTaskRunner`, their files land where the cluster would commit them, and the session absorbs them — the
/// same path as on a cluster, without processes. Checks it against the reference trainer, across groupings, and
/// through a restore in the middle.
@Suite struct TrainingSessionTests {
    let directory: TemporaryDirectory
    /// One worker's runner, whose cache keeps parsed shards from stage to stage as a worker process would.
    let runner = TrainTaskRunner(cache: DatasetCache(budgetBytes: 1 << 30), workerName: "test")
    init() throws { directory = try TemporaryDirectory() }

    func job(deterministic: Bool = true, checkpointEvery: Int = 4) throws -> TrainJob {
        let train = directory.path("train.csv"), test = directory.path("test.csv")
        if !FileManager.default.fileExists(atPath: train) {
            _ = try ClickGenerator(seed: 21).write(rows: 12_000, toFile: train)
            _ = try ClickGenerator(seed: 22).write(rows: 3_000, toFile: test)
        }
        let features: [FeatureSpec] = (0..<16).map { .numeric("f\($0)") } + [.oneHot("device")]
        let data = DataSpec(
            train: InputSpec(format: .csv, paths: [train], shardBytes: 512 << 10),
            validation: InputSpec(format: .csv, paths: [test]), features: features, label: "clicked",
            schema: ClickGenerator.schema.fields, validationSchema: ClickGenerator.schema.fields)
        let config = TrainingConfig(
            model: ModelSpec(head: .logistic), optimizer: OptimizerSpec(kind: .adam, learningRate: 0.02),
            batchSize: 512, microBatchSize: 64, epochs: 2, seed: 9, deterministic: deterministic)
        return TrainJob(
            name: "t", data: data, config: config, checkpointEvery: checkpointEvery,
            output: directory.path("out-\(deterministic)-\(UUID().uuidString.prefix(6))"))
    }

    /// Runs `tasks` as workers would and commits their files under `stage`'s directory. `parameters`: what the
    /// coordinator attaches to the tasks that take them so (`StageTask.attachesParameters`).
    func run(_ tasks: [TrainingSession.StageTask], parameters: [Float], into stageDirectory: String, job: UInt64 = 1) throws {
        for task in tasks {
            var spec = try TrainTaskSpec.decode(task.spec)
            #expect(spec.parameters.isEmpty == task.attachesParameters, "parameters in the spec or attached, not both")
            if task.attachesParameters { spec.parameters = parameters }
            let files = try runner.run(spec, job: job)
            let shard = stageDirectory + String(format: "/shard-%05d", task.index)
            try FileManager.default.createDirectory(atPath: shard, withIntermediateDirectories: true)
            for file in files { try Data(file.bytes).write(to: URL(fileURLWithPath: shard + "/" + file.name)) }
        }
    }

    func stageDirectory(_ job: TrainJob, _ stage: Int) -> String { job.output + "/_stage-\(stage)" }

    /// The job's shards and their statistics pass, as workers run it.
    func statisticsPass(_ job: TrainJob) throws -> (shards: [InputShard], statistics: [[UInt8]]) {
        let shards = try ETLInputPlanning.shards(of: job.data.train)
        let statistics = try shards.map { shard in
            try runner.run(TrainTaskSpec(job: job, task: .statistics(shard: shard), encoding: nil), job: 1)[0].bytes
        }
        return (shards, statistics)
    }

    /// A session through its statistics stage.
    func started(_ job: TrainJob) throws -> TrainingSession {
        let (shards, statistics) = try statisticsPass(job)
        return try TrainingSession.start(owner: "test", job: job, trainShards: shards, statistics: statistics)
    }

    /// Stages `from ..< to` of `session`, each split into `groups` tasks.
    func stages(_ session: inout TrainingSession, _ range: Range<Int>, groups: Int) throws {
        for stage in range {
            let tasks = try session.tasks(ofStage: stage, groups: groups, now: 0)
            try run(tasks, parameters: session.state.parameters, into: stageDirectory(session.job, stage))
            try session.absorb(stage: stage, directory: stageDirectory(session.job, stage), now: 0)
        }
    }

    @Test func theSessionMatchesTheReferenceTrainerWhateverTheGrouping() throws {
        let job = try job()
        var results: [[UInt32]] = []
        for groups in [1, 3] {
            var session = try started(job)
            try stages(&session, 1..<(session.lastStage + 1), groups: groups)
            #expect(session.state.step == session.totalSteps)
            #expect(session.evaluations.map(\.epoch) == [0, 1], "validation after each epoch")
            results.append(session.state.parameters.map(\.bitPattern))
        }
        #expect(results[0] == results[1])
        // The reference: the same shards loaded directly, the same plan, in one process.
        let reader = DatasetReader(data: job.data, model: job.config.model)
        let shards = try ETLInputPlanning.shards(of: job.data.train)
        var statistics = ShardStatistics()
        for shard in shards { statistics.merge(try reader.statistics(of: shard)) }
        let encoding = statistics.encoding(features: job.data.features, label: "clicked")
        let loaded = try shards.map { try reader.load($0, input: job.data.train, encoding: encoding) }
        let network = Network(spec: job.config.model, inputs: encoding.width)
        let plan = MicroBatchPlan(
            shardRows: loaded.map(\.rows), microBatchSize: 64, batchSize: 512, epochs: 2, seed: 9)
        var state = TrainingState(network: network, config: job.config)
        _ = try LocalTrainer(network: network, config: job.config, plan: plan).run(&state, shards: loaded)
        #expect(results[0] == state.parameters.map(\.bitPattern))
    }

    @Test func aRestoredSessionReplaysTheStagesSinceItsCheckpoint() throws {
        let job = try job(checkpointEvery: 4)
        var straight = try started(job)
        try stages(&straight, 1..<(straight.lastStage + 1), groups: 2)

        let other = try self.job(checkpointEvery: 4)
        var first = try started(other)
        try stages(&first, 1..<11, groups: 2)  // steps 0…9: checkpoint after step 8, stages 9 and 10 kept
        let names = try FileManager.default.contentsOfDirectory(atPath: other.output).filter { $0.hasPrefix("_stage-") }
        #expect(Set(names) == ["_stage-9", "_stage-10"], "stages the checkpoint covers are dropped: \(names)")
        // A new coordinator: restore, replay 9 and 10, carry on.
        var resumed = try TrainingSession.resumed(owner: "test", job: other, before: 11) { stageDirectory(other, $0) }
        #expect(resumed.state.step == 10)
        #expect(resumed.state.parameters == first.state.parameters)
        try stages(&resumed, 11..<(resumed.lastStage + 1), groups: 1)
        #expect(resumed.state.parameters.map(\.bitPattern) == straight.state.parameters.map(\.bitPattern))
        // Absorbing a stage again is a no-op.
        let before = resumed.state
        try resumed.absorb(stage: resumed.lastStage, directory: stageDirectory(other, resumed.lastStage), now: 0)
        #expect(resumed.state == before)
    }

    /// A later submission of the same job file takes up an unfinished run's checkpoint only on the same data:
    /// the same shards and the same statistics (a file rewritten in place keeps its shards, not its statistics).
    @Test func anUnfinishedRunIsTakenUpOnlyOnTheSameData() throws {
        let job = try job(checkpointEvery: 4)
        let (shards, statistics) = try statisticsPass(job)
        var first = try TrainingSession.start(
            owner: "first", job: job, trainShards: shards, statistics: statistics, specHash: "h")
        try stages(&first, 1..<6, groups: 2)  // a checkpoint after step 4
        let same = try TrainingSession.merge(statistics).merged
        var other = same
        other.rows += 1
        #expect(TrainingSession.adopt(owner: "second", job: job, specHash: "h", trainShards: shards, statistics: other) == nil,
                "other data, same shards: not taken up")
        let adopted = try #require(
            TrainingSession.adopt(owner: "second", job: job, specHash: "h", trainShards: shards, statistics: same))
        #expect(adopted.resumedFrom == 4 && adopted.state.step == 4)
    }

    /// Absorbing held outputs can write the new parameters where the coordinator sends them from (the frame of
    /// the next step), as the update makes them: the same bits as the state's, for both kinds of gradient.
    @Test(arguments: [true, false])
    func absorbPublishesTheNewParameters(deterministic: Bool) throws {
        let job = try job(deterministic: deterministic)
        var session = try started(job)
        for stage in 1...3 {
            let tasks = try session.tasks(ofStage: stage, groups: 2, now: 0)
            var outputs: [Int: TrainingSession.TaskFiles] = [:]
            for task in tasks {
                var spec = try TrainTaskSpec.decode(task.spec)
                if task.attachesParameters { spec.parameters = session.state.parameters }
                let files = try runner.run(spec, job: 1)
                outputs[task.index] = Dictionary(uniqueKeysWithValues: try files.map { ($0.name, try $0.bytes as any ContiguousBytes) })
            }
            var published = [Float](repeating: .nan, count: session.network.parameterCount)
            let before = session.state.parameters
            let wrote = try published.withUnsafeMutableBytes { try session.absorb(stage: stage, outputs: outputs, now: 0, publish: $0) }
            #expect(wrote, "stage \(stage)")
            #expect(session.state.parameters != before, "stage \(stage) moved the parameters")
            #expect(published.map(\.bitPattern) == session.state.parameters.map(\.bitPattern), "stage \(stage)")
        }
    }

    @Test func floatGradientsTrainToo() throws {
        let job = try job(deterministic: false)
        var session = try started(job)
        try stages(&session, 1..<(session.lastStage + 1), groups: 2)
        let last = try #require(session.evaluations.last)
        #expect(last.accuracy > 0.8, "validation accuracy \(last.accuracy)")
        let summary = try session.writeOutputs(wallSeconds: 1)
        #expect(summary.contains("trained logistic on 19 inputs"))
        #expect(FileManager.default.fileExists(atPath: job.output + "/model.shoal"))
    }

    @Test func gradientsThatDoNotCoverTheStepAreRefused() throws {
        let job = try job()
        var session = try started(job)
        let tasks = try session.tasks(ofStage: 1, groups: 2, now: 0)
        try run(Array(tasks.dropLast()), parameters: session.state.parameters, into: stageDirectory(job, 1))
        #expect {
            try session.absorb(stage: 1, directory: stageDirectory(job, 1), now: 0)
        } throws: { "\($0)".contains("do not cover step 1's micro-batches exactly") }
    }
}

/// Shards to groups (a step's tasks): balanced, and stable when workers come and go.
@Suite struct ShardGroupTests {
    func sizes(_ assignment: [Int]) -> [Int] {
        (0...(assignment.max() ?? 0)).map { g in assignment.filter { $0 == g }.count }
    }

    @Test func groupsStayBalancedAndOnlyWhatMustMoveMoves() {
        var assignment = TrainingSession.regroup([], shards: 7, groups: 3)
        #expect(sizes(assignment) == [3, 2, 2])
        // A fourth worker: one shard moves to the new group, the rest stay.
        let four = TrainingSession.regroup(assignment, shards: 7, groups: 4)
        #expect(sizes(four).sorted() == [1, 2, 2, 2])
        #expect(zip(assignment, four).filter { $0 != $1 }.count == 1)
        // Back to three: only the fourth group's shard moves.
        let three = TrainingSession.regroup(four, shards: 7, groups: 3)
        #expect(sizes(three).sorted() == [2, 2, 3])
        #expect(zip(four, three).filter { $0 != $1 }.count == 1)
        // Many shards: from 5 to 6 groups about a sixth move; never more groups than shards.
        assignment = TrainingSession.regroup([], shards: 400, groups: 5)
        let six = TrainingSession.regroup(assignment, shards: 400, groups: 6)
        #expect(sizes(six).allSatisfy { $0 == 66 || $0 == 67 })
        #expect(zip(assignment, six).filter { $0 != $1 }.count <= 67)
        #expect(Set(TrainingSession.regroup([], shards: 2, groups: 5)) == [0, 1])
        #expect(TrainingSession.regroup(six, shards: 400, groups: 6) == six, "the same count changes nothing")
    }
}
