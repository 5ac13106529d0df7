import Foundation

/// A job as the store keeps it: its policy, where it came from, and its history.
public struct JobRecord: Sendable, Equatable, Codable {
    public var id: JobID
    public var name: String
    public var kind: String
    public var priority: Int
    public var maxAttempts: Int
    public var timeoutMs: Int64?
    public var hangTimeoutMs: Int64
    public var speculation: Bool
    public var state: JobState
    public var error: String?
    /// The job file as submitted (its path as the user typed it).
    public var source: String
    public var workingDirectory: String
    /// FNV-1a of the job file's text and working directory: the same job submitted again resumes.
    public var specHash: String
    public var outputDirectory: String?
    public var taskCount: Int
    /// Unix seconds, when the coordinator received the submission (before planning it).
    public var submittedAt: Double
    public var startedAt: Double?
    public var finishedAt: Double?
    /// A finished job's task counts, as they stood when it ended.
    public var finalCounts: TaskCounts?
    /// The planner's instructions for finishing the job (`JobPlan.finish`).
    public var finishSpec: [UInt8]?
    /// What finishing the job reported (an ETL job's totals), for its status.
    public var summary: String?
    /// The stage the job runs (0 unless its kind plans in stages: an ETL job's statistics pass is stage 0).
    public var stage: Int
    /// Whether the kind plans another stage once this one's tasks have all committed.
    public var moreStages: Bool

    public init(
        id: JobID = 0, name: String, kind: String, priority: Int, maxAttempts: Int, timeoutMs: Int64?,
        hangTimeoutMs: Int64, speculation: Bool, state: JobState = .queued, error: String? = nil, source: String,
        workingDirectory: String, specHash: String, outputDirectory: String?, taskCount: Int,
        submittedAt: Double = Date().timeIntervalSince1970, startedAt: Double? = nil, finishedAt: Double? = nil,
        finalCounts: TaskCounts? = nil, finishSpec: [UInt8]? = nil, summary: String? = nil, stage: Int = 0,
        moreStages: Bool = false
    ) {
        self.stage = stage
        self.moreStages = moreStages
        self.finalCounts = finalCounts
        self.finishSpec = finishSpec
        self.summary = summary
        self.id = id
        self.name = name
        self.kind = kind
        self.priority = priority
        self.maxAttempts = maxAttempts
        self.timeoutMs = timeoutMs
        self.hangTimeoutMs = hangTimeoutMs
        self.speculation = speculation
        self.state = state
        self.error = error
        self.source = source
        self.workingDirectory = workingDirectory
        self.specHash = specHash
        self.outputDirectory = outputDirectory
        self.taskCount = taskCount
        self.submittedAt = submittedAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
    }

    /// Everything but `finishSpec`, which stays in the store: status documents carry records to clients.
    enum CodingKeys: String, CodingKey {
        case id, name, kind, priority, maxAttempts, timeoutMs, hangTimeoutMs, speculation, state, error, source
        case workingDirectory, specHash, outputDirectory, taskCount, submittedAt, startedAt, finishedAt, finalCounts
        case summary, stage, moreStages
    }

    /// The scheduling policy, for the scheduler.
    public var descriptor: JobDescriptor {
        JobDescriptor(
            id: id, name: name, kind: kind, priority: priority, maxAttempts: maxAttempts,
            timeout: timeoutMs.map { .milliseconds($0) }, hangTimeout: .milliseconds(hangTimeoutMs),
            speculation: speculation)
    }
}
