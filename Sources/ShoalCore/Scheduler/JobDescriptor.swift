import ShoalProtocol
import ZeroMQ

/// What the scheduler needs to know of a job: its identity and its scheduling policy.
public struct JobDescriptor: Sendable, Equatable {
    public var id: JobID
    public var name: String
    /// The task kind every task of the job runs (a worker must advertise it).
    public var kind: String
    /// Higher runs first; equal priorities share the workers (fair share).
    public var priority: Int
    public var maxAttempts: Int
    /// Per attempt; `nil`: no limit.
    public var timeout: Duration?
    public var hangTimeout: Duration
    public var speculation: Bool

    public init(
        id: JobID, name: String, kind: String, priority: Int = 0, maxAttempts: Int = 3, timeout: Duration? = nil,
        hangTimeout: Duration = .seconds(600), speculation: Bool = true
    ) {
        self.id = id
        self.name = name
        self.kind = kind
        self.priority = priority
        self.maxAttempts = maxAttempts
        self.timeout = timeout
        self.hangTimeout = hangTimeout
        self.speculation = speculation
    }

    /// `timeout` as a TASK carries it: whole milliseconds, 0 for no limit.
    var timeoutMs: UInt32 { timeout.map { UInt32(clamping: $0.milliseconds) } ?? 0 }
}

/// One task as the scheduler receives it: new from a plan, or reloaded from the store after a restart.
public struct TaskDescriptor: Sendable {
    public var id: TaskID
    public var index: Int
    public var label: String
    public var spec: Frame
    /// Reloaded tasks: where they were. New tasks: `.queued`.
    public var state: TaskState
    /// The highest attempt number issued so far (0: never started); the next attempt gets one more.
    public var lastAttempt: UInt32
    /// Attempts that ended in a way that counts against `maxAttempts`.
    public var failures: Int
    /// The size of the task's input, for progress in bytes; 0 when unknown.
    public var inputBytes: UInt64
    /// The job's stage the task belongs to (`JobPlanner.nextStage`); 0 for single-stage jobs.
    public var stage: Int
    /// `PlannedTask.affinity` (not stored: reloaded tasks have none).
    public var affinity: Int?
    /// `PlannedTask.backups` (not stored either).
    public var backups: Int
    /// `PlannedTask.ephemeral` (not stored either).
    public var ephemeral: Bool
    /// `PlannedTask.attachments` (not stored either).
    public var attachments: [Frame]

    public init(
        id: TaskID, index: Int, label: String, spec: Frame, state: TaskState = .queued, lastAttempt: UInt32 = 0,
        failures: Int = 0, inputBytes: UInt64 = 0, stage: Int = 0, affinity: Int? = nil, backups: Int = 0,
        ephemeral: Bool = false, attachments: [Frame] = []
    ) {
        self.ephemeral = ephemeral
        self.attachments = attachments
        self.affinity = affinity
        self.backups = backups
        self.stage = stage
        self.inputBytes = inputBytes
        self.id = id
        self.index = index
        self.label = label
        self.spec = spec
        self.state = state
        self.lastAttempt = lastAttempt
        self.failures = failures
    }
}

/// A worker as it registers (HELLO).
public struct WorkerRegistration: Sendable, Equatable {
    public var id: WorkerID
    public var slots: Int
    public var kinds: Set<String>
    /// Attempts it still runs or holds (after a reconnection).
    public var held: [TaskRef]
    public var host: String
    public var pid: UInt32
    public var cores: Int
    public var memoryBytes: UInt64

    public init(
        id: WorkerID, slots: Int, kinds: Set<String>, held: [TaskRef] = [], host: String = "",
        pid: UInt32 = 0, cores: Int = 0, memoryBytes: UInt64 = 0
    ) {
        self.id = id
        self.slots = slots
        self.kinds = kinds
        self.held = held
        self.host = host
        self.pid = pid
        self.cores = cores
        self.memoryBytes = memoryBytes
    }
}
