import ShoalProtocol
import ZeroMQ

/// A job kind as the coordinator sees it: reads the kind-specific part of a job file and plans the job into
/// tasks. Kinds are plug-ins: ETL and training add planners (and worker-side `TaskExecutor`s) without
/// touching the scheduler, which sees only opaque task specs.
public protocol JobPlanner: Sendable {
    /// The job file's `kind:` value this planner handles, e.g. "command".
    var kind: String { get }

    /// Validates the kind-specific keys of `job` and splits it into tasks.
    /// - Throws: `JobFileError` naming the file, line and key at fault. Runs at submit time, so every error a
    ///   user can make in a job file is reported before anything is queued.
    func plan(_ job: JobFile) throws(JobFileError) -> JobPlan

    /// Finishes a job whose tasks all committed, from its `JobPlan.finish` instructions (e.g. merges an ETL
    /// job's partial aggregates), and says what it produced, for the job's status. Runs on the coordinator;
    /// must be safe to run again for the same job (a coordinator that died while finishing does it again).
    /// - Throws: whatever stops the job from succeeding; the job then fails with that error.
    func finish(_ spec: [UInt8], job: JobRecord) throws -> String?

    /// Plans the stage after `stage` of a job planned in stages (`JobPlan.moreStages`), once every task of
    /// `stage` committed — from what they committed (under `JobPlan.stageDirectory`) and the job's
    /// `JobPlan.finish` instructions. Runs on the coordinator, and again for the same stage after a restart
    /// that came before the next stage was stored: it must give the same tasks.
    /// - Throws: whatever stops the next stage (a committed output that does not read); the job fails with it.
    func nextStage(after stage: Int, spec: [UInt8], job: JobRecord) throws -> StagePlan

    /// The job ended (succeeded, failed or cancelled): the kind lets go of what it held for it in memory.
    func jobEnded(_ job: JobID)

    /// `nextStage` with what the coordinator knows of the cluster at that moment, for kinds that size a stage to
    /// it (a training step makes one task per worker). The default ignores it.
    func nextStage(after stage: Int, spec: [UInt8], job: JobRecord, cluster: StageContext) throws -> StagePlan
}

/// The cluster as the coordinator sees it when it plans a stage.
public struct StageContext: Sendable, Equatable {
    /// Registered workers that run the job's kind (at least 1).
    public var workers: Int
    /// The outputs of the stage's ephemeral tasks (`PlannedTask.ephemeral`), by task index: file name → the
    /// frame as it arrived (a step's gradient, tens of MiB, is read in place, never copied out).
    /// Empty when the stage had none, or when a restarted coordinator lost them.
    public var outputs: [Int: [String: Frame]]
    /// Where the stage's bulk frames (a step's parameters) are made: in shared memory when a worker maps it.
    public var frames: BulkFrames
    public init(workers: Int, outputs: [Int: [String: Frame]] = [:], frames: BulkFrames = .heap) {
        self.workers = max(1, workers)
        self.outputs = outputs
        self.frames = frames
    }
}

extension JobPlanner {
    public func finish(_ spec: [UInt8], job: JobRecord) throws -> String? { nil }

    public func nextStage(after stage: Int, spec: [UInt8], job: JobRecord) throws -> StagePlan {
        throw StageError(description: "the \(kind) kind plans no stages")
    }

    public func nextStage(after stage: Int, spec: [UInt8], job: JobRecord, cluster: StageContext) throws -> StagePlan {
        try nextStage(after: stage, spec: spec, job: job)
    }

    public func jobEnded(_ job: JobID) {}
}

/// The tasks of a job's next stage.
public struct StagePlan: Sendable, Equatable {
    public var tasks: [PlannedTask]
    /// Whether yet another stage follows this one.
    public var moreStages: Bool
    /// Where the job stands, for `shoal status` while it runs (a training job's step, loss and step costs);
    /// kept as the job's summary until the finished job's replaces it.
    public var progress: String?

    public init(tasks: [PlannedTask], moreStages: Bool = false, progress: String? = nil) {
        self.tasks = tasks
        self.moreStages = moreStages
        self.progress = progress
    }
}

/// A job's next stage could not be planned.
public struct StageError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(description: String) { self.description = description }
}

/// What a planner makes of a job: its tasks, and where committed outputs go.
public struct JobPlan: Sendable, Equatable {
    /// The tasks, in shard order.
    public var tasks: [PlannedTask]
    /// The absolute directory committed shard outputs are renamed into (`shard-00000`, …); `nil` for none.
    public var outputDirectory: String?
    /// Other files the job writes when it finishes (an ETL aggregate's result): like an output directory's
    /// shards, one already there is refused unless the submission says to overwrite.
    public var exclusiveOutputs: [String]
    /// Kind-specific instructions for finishing the job once every task committed (merging an ETL job's partial
    /// aggregates); kept with the job, handed to the kind's `JobFinisher`. `nil`: nothing to do.
    public var finish: [UInt8]?
    /// Whether `tasks` are only the first stage: once they have all committed, the kind's `nextStage` plans
    /// the next (an ETL job's standardize needs global statistics, computed by a first pass).
    public var moreStages: Bool
    /// The kind takes up what an unfinished earlier run of the job left in the output directory (a training
    /// job's checkpoints): only a finished run's outputs (`_SUCCESS`) make a submission refused without
    /// `--restart`, which still removes everything and starts over.
    public var resumable: Bool
    /// A file the coordinator creates in the output directory's staging area (`OutputPaths.staging`) when it
    /// accepts the job, named in the tasks' specs: workers that find it write their outputs there themselves.
    public var outputProbe: String?

    public init(
        tasks: [PlannedTask], outputDirectory: String?, exclusiveOutputs: [String] = [], finish: [UInt8]? = nil,
        moreStages: Bool = false, resumable: Bool = false, outputProbe: String? = nil
    ) {
        self.outputProbe = outputProbe
        self.resumable = resumable
        self.moreStages = moreStages
        self.tasks = tasks
        self.outputDirectory = outputDirectory
        self.exclusiveOutputs = exclusiveOutputs
        self.finish = finish
    }
}

extension JobPlan {
    /// Where a task of `stage` commits its shard directories: the job's output directory for the job's last
    /// stage, `<output>/_stage-N` for a stage another one follows (its outputs are the next stage's input, not
    /// the job's).
    public static func stageDirectory(_ outputDirectory: String, stage: Int, isLast: Bool) -> String {
        isLast ? outputDirectory : outputDirectory + "/_stage-\(stage)"
    }
}

extension JobRecord {
    /// Where the job's tasks of `stage` commit (`JobPlan.stageDirectory`), or nil for a job without outputs.
    public func commitDirectory(stage taskStage: Int) -> String? {
        outputDirectory.map {
            JobPlan.stageDirectory($0, stage: taskStage, isLast: taskStage == stage && !moreStages)
        }
    }
}

/// One shard of work, before the scheduler gives it a task id.
public struct PlannedTask: Sendable, Equatable {
    /// The shard's position in the job, from 0; names its committed output (`shard-00042`).
    public var index: Int
    /// For people: the input file, byte range or arguments this shard covers.
    public var label: String
    /// The executor's input, in the format its kind defines (travels as TASK's spec payload frame).
    public var spec: [UInt8]
    /// Input bytes this shard covers, when known (progress and ETA); 0 otherwise.
    public var inputBytes: UInt64
    /// Tasks of a job with the same affinity go to the same worker when they can (a training job's steps
    /// reading one dataset shard, which that worker holds in memory). A hint, kept in memory only.
    public var affinity: Int?
    /// Backup copies (a training step's `backup_workers`): when nothing is queued and a worker is idle, up to
    /// this many of the job's running tasks get a copy at once, without waiting to look like stragglers; the
    /// first copy to commit wins. A hint, kept in memory only; 0 for none.
    public var backups: Int
    /// Outputs that can be made again (a training step's gradient, from the same parameters and rows) are not
    /// committed as files at all: the coordinator holds them in memory and hands them to the kind's `nextStage`
    /// (`StageContext.outputs`). A coordinator that dies loses them; the kind must then plan from what it made
    /// durable itself (a training job: its checkpoint). Nor is the spec stored: a task reloaded after a restart
    /// runs with an empty spec, and its executor must then succeed with no outputs (the kind plans the work
    /// again). A hint, kept in memory only: reloaded tasks commit files.
    public var ephemeral: Bool
    /// Bulk bytes sent with the spec as frames of their own (TASK attachments): a training step's parameters,
    /// one frame shared by every task of the step, never copied per task. Kept in memory only, like the rest of
    /// an ephemeral task's spec: only an ephemeral task may have them (`StateStore.insertTasks` refuses others).
    public var attachments: [Frame]

    public init(
        index: Int, label: String, spec: [UInt8], inputBytes: UInt64 = 0, affinity: Int? = nil, backups: Int = 0,
        ephemeral: Bool = false, attachments: [Frame] = []
    ) {
        self.ephemeral = ephemeral
        self.attachments = attachments
        self.affinity = affinity
        self.backups = backups
        self.index = index
        self.label = label
        self.spec = spec
        self.inputBytes = inputBytes
    }
}
