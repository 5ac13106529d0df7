import ShoalProtocol
import ZeroMQ

/// What the scheduler decided, for the coordinator's shell to carry out in order: persist, then send.
public enum SchedulerDirective: Sendable {
    /// Record the attempts as started (durably, before sending), then send them to the worker in one TASK.
    case start(worker: WorkerID, attempts: [AttemptStart])
    /// Send CANCEL for these attempts to the worker.
    case cancel(worker: WorkerID, attempts: [TaskRef], reason: String)
    /// Commit the attempt's outputs (atomically, exactly once), then report back with `committed` or
    /// `commitFailed`.
    case commit(AttemptCommit)
    /// Record how an attempt ended.
    case attemptEnded(AttemptRecord)
    /// Record a task's new state and its failure count.
    case taskChanged(task: TaskID, job: JobID, state: TaskState, failures: Int)
    /// Record a job's new state; `error` says why a job failed.
    case jobChanged(job: JobID, state: JobState, error: String?)
    /// Every task of the job's stage `stage` committed and another stage follows: the shell asks the job's kind
    /// for the next stage's tasks and hands them to `addStage` (or fails the job with `failJob`).
    case stageCompleted(job: JobID, stage: Int)
    /// A worker registered (or re-registered).
    case workerJoined(WorkerID)
    /// A worker is gone (BYE, heartbeat timeout); its attempts were dealt with by other directives.
    case workerLeft(WorkerID, reason: String)
    /// Tell the worker to leave: it was drained and holds nothing.
    case dismiss(worker: WorkerID, reason: String)
}

extension SchedulerDirective {
    /// Whether carrying the directive out is only persisting it: no message, no event, no log line (a task's new
    /// state, a commit, an attempt that ended without failing). The shell passes over these.
    public var sendsNothing: Bool {
        switch self {
        case .taskChanged, .commit: true
        case .attemptEnded(let record): !record.ending.countsAsFailure
        default: false
        }
    }
}

/// An attempt to start on a worker.
public struct AttemptStart: Sendable, Equatable {
    public var task: TaskRef
    public var job: JobID
    public var kind: String
    public var timeoutMs: UInt32
    public var spec: Frame
    /// `PlannedTask.attachments`.
    public var attachments: [Frame]
    /// A speculative copy of a straggler, not a retry.
    public var speculative: Bool

    public init(
        task: TaskRef, job: JobID, kind: String, timeoutMs: UInt32, spec: Frame, attachments: [Frame] = [],
        speculative: Bool
    ) {
        self.attachments = attachments
        self.task = task
        self.job = job
        self.kind = kind
        self.timeoutMs = timeoutMs
        self.spec = spec
        self.speculative = speculative
    }
}

/// A succeeded attempt whose outputs are to be committed.
public struct AttemptCommit: Sendable {
    public var task: TaskRef
    public var job: JobID
    public var index: Int
    /// The stage of the task (where its outputs are committed: `JobPlan.stageDirectory`).
    public var stage: Int
    public var worker: WorkerID
    public var outputs: [NamedFrame]
    public var counters: [Counter]
    public var logTail: String
    /// How long the attempt ran on its worker.
    public var runtime: Duration = .zero
    /// `PlannedTask.ephemeral`: commit without `fsync`.
    public var ephemeral = false
}

/// How an attempt ended, for the durable record and for `shoal status` / `shoal logs`.
public struct AttemptRecord: Sendable, Equatable {
    public var task: TaskRef
    public var job: JobID
    public var worker: WorkerID
    public var ending: AttemptEnding
    public var error: String
    public var exitStatus: Int32
    public var signal: Int32
    public var logTail: String
    public var runtime: Duration
    /// A committed attempt's counters (they become the job's); empty otherwise.
    public var counters: [Counter]

    public init(
        task: TaskRef, job: JobID, worker: WorkerID, ending: AttemptEnding, error: String = "",
        exitStatus: Int32 = -1, signal: Int32 = 0, logTail: String = "", runtime: Duration = .zero,
        counters: [Counter] = []
    ) {
        self.counters = counters
        self.task = task
        self.job = job
        self.worker = worker
        self.ending = ending
        self.error = error
        self.exitStatus = exitStatus
        self.signal = signal
        self.logTail = logTail
        self.runtime = runtime
    }
}
