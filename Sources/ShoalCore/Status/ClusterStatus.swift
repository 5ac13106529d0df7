/// The document STATUS-REPORT carries (JSON): what `shoal status`, `jobs`, `workers` and `logs` print.
public struct ClusterStatus: Sendable, Codable, Equatable {
    public var coordinator: CoordinatorSummary
    public var jobs: [JobStatus]
    public var workers: [WorkerStatus]
    /// With STATUS for one task: that task in detail.
    public var task: TaskDetail?

    public init(coordinator: CoordinatorSummary, jobs: [JobStatus], workers: [WorkerStatus], task: TaskDetail? = nil) {
        self.coordinator = coordinator
        self.jobs = jobs
        self.workers = workers
        self.task = task
    }
}

/// Who answered.
public struct CoordinatorSummary: Sendable, Codable, Equatable {
    public var id: String
    public var epoch: UInt64
    public var software: String
    public var stateDirectory: String
    /// How the endpoints are secured, and what the authentication has seen; absent from older coordinators.
    public var security: SecuritySummary?

    public init(id: String, epoch: UInt64, software: String, stateDirectory: String, security: SecuritySummary? = nil) {
        self.id = id
        self.epoch = epoch
        self.software = software
        self.stateDirectory = stateDirectory
        self.security = security
    }
}

/// The coordinator's transport security, for `shoal status`.
public struct SecuritySummary: Sendable, Codable, Equatable {
    /// "curve" or "plaintext".
    public var mode: String
    /// Keys allowed per role ("worker", "client").
    public var allowed: [String: Int]
    public var acceptedHandshakes: Int
    /// Refused by the allow-lists (unknown, revoked, or the other role's key).
    public var refusedHandshakes: Int
    /// Failed before the allow-lists were asked (no CURVE, or another coordinator's key).
    public var failedHandshakes: Int
    /// Connections shut down after their key was revoked.
    public var revokedDisconnects: Int
    /// What the last reload of the keys changed, if there was one.
    public var lastReload: String?

    public init(
        mode: String, allowed: [String: Int] = [:], acceptedHandshakes: Int = 0, refusedHandshakes: Int = 0,
        failedHandshakes: Int = 0, revokedDisconnects: Int = 0, lastReload: String? = nil
    ) {
        self.mode = mode
        self.allowed = allowed
        self.acceptedHandshakes = acceptedHandshakes
        self.refusedHandshakes = refusedHandshakes
        self.failedHandshakes = failedHandshakes
        self.revokedDisconnects = revokedDisconnects
        self.lastReload = lastReload
    }
}

/// One job: its record, live counts and progress, and its recent troubles.
public struct JobStatus: Sendable, Codable, Equatable {
    public var record: JobRecord
    public var counts: TaskCounts
    /// Attempts that counted against their tasks (retries so far).
    public var retries: Int
    /// Records and bytes reported by running attempts, plus the input bytes of committed tasks.
    public var records: UInt64
    public var bytes: UInt64
    /// Counters of committed attempts, summed.
    public var counters: [String: Int64]
    /// The longest-running attempts now (at most 20).
    public var running: [RunningAttempt]
    /// The most recent attempts that did not succeed (at most 20), newest first.
    public var troubles: [AttemptStatus]

    public init(
        record: JobRecord, counts: TaskCounts, retries: Int, records: UInt64, bytes: UInt64,
        counters: [String: Int64], running: [RunningAttempt], troubles: [AttemptStatus]
    ) {
        self.record = record
        self.counts = counts
        self.retries = retries
        self.records = records
        self.bytes = bytes
        self.counters = counters
        self.running = running
        self.troubles = troubles
    }
}

/// An attempt running now.
public struct RunningAttempt: Sendable, Codable, Equatable {
    public var task: TaskID
    public var attempt: UInt32
    public var label: String
    public var worker: WorkerID
    public var seconds: Double
    public var records: UInt64
    public var bytes: UInt64
    public var status: String
    public var speculative: Bool

    public init(task: TaskID, attempt: UInt32, label: String, worker: WorkerID, seconds: Double, records: UInt64,
                bytes: UInt64, status: String, speculative: Bool) {
        self.task = task
        self.attempt = attempt
        self.label = label
        self.worker = worker
        self.seconds = seconds
        self.records = records
        self.bytes = bytes
        self.status = status
        self.speculative = speculative
    }
}

/// One attempt as recorded: who ran it and how it ended (`ending` nil while it runs).
public struct AttemptStatus: Sendable, Codable, Equatable {
    public var task: TaskID
    public var attempt: UInt32
    public var worker: WorkerID
    public var speculative: Bool
    public var startedAt: Double
    public var endedAt: Double?
    public var ending: AttemptEnding?
    public var error: String?
    public var exitStatus: Int32?
    public var signal: Int32?
    public var logTail: String?
    public var runtimeMs: Int64?

    public init(task: TaskID, attempt: UInt32, worker: WorkerID, speculative: Bool, startedAt: Double,
                endedAt: Double?, ending: AttemptEnding?, error: String?, exitStatus: Int32?, signal: Int32?,
                logTail: String?, runtimeMs: Int64?) {
        self.task = task
        self.attempt = attempt
        self.worker = worker
        self.speculative = speculative
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.ending = ending
        self.error = error
        self.exitStatus = exitStatus
        self.signal = signal
        self.logTail = logTail
        self.runtimeMs = runtimeMs
    }
}

/// One task with every attempt (`shoal logs JOB --task T`).
public struct TaskDetail: Sendable, Codable, Equatable {
    public var id: TaskID
    public var job: JobID
    public var index: Int
    public var label: String
    public var state: TaskState
    public var failures: Int
    public var attempts: [AttemptStatus]

    public init(id: TaskID, job: JobID, index: Int, label: String, state: TaskState, failures: Int,
                attempts: [AttemptStatus]) {
        self.id = id
        self.job = job
        self.index = index
        self.label = label
        self.state = state
        self.failures = failures
        self.attempts = attempts
    }
}

/// A registered worker.
public struct WorkerStatus: Sendable, Codable, Equatable {
    public var id: WorkerID
    public var host: String
    public var pid: UInt32
    public var slots: Int
    public var running: Int
    public var kinds: [String]
    public var draining: Bool
    /// Seconds since its last message.
    public var lastSeen: Double
    /// Bulk frames to and from it go through shared memory (it runs on the coordinator's host); `nil`: no.
    public var sharedMemory: Bool?
    /// A TASK to it could not be sent (its connection is gone): it gets no tasks until it is heard from again,
    /// or is declared dead at the heartbeat timeout; `nil`: no.
    public var unreachable: Bool?

    public init(id: WorkerID, host: String, pid: UInt32, slots: Int, running: Int, kinds: [String], draining: Bool,
                lastSeen: Double) {
        self.id = id
        self.host = host
        self.pid = pid
        self.slots = slots
        self.running = running
        self.kinds = kinds
        self.draining = draining
        self.lastSeen = lastSeen
    }
}
