/// A job's life: queued → running → succeeded | failed | cancelled.
///
/// Events: `submitted` → queued; first attempt started → running; every task committed → succeeded; a task out
/// of attempts → failed (the job's other attempts are cancelled); `shoal cancel` → cancelled.
public enum JobState: String, Sendable, Codable, CaseIterable {
    case queued, running, succeeded, failed, cancelled

    public var isTerminal: Bool { self == .succeeded || self == .failed || self == .cancelled }
}

/// A task's life: queued → running → committing → succeeded, back to queued after an attempt fails (while it
/// has attempts left), failed when it has none, cancelled with its job.
public enum TaskState: String, Sendable, Codable, CaseIterable {
    case queued, running, committing, succeeded, failed, cancelled

    public var isTerminal: Bool { self == .succeeded || self == .failed || self == .cancelled }
}

/// How one attempt ended.
public enum AttemptEnding: String, Sendable, Codable, CaseIterable {
    /// Its output was committed.
    case succeeded
    /// The executor reported failure (non-zero exit, signal, error).
    case failed
    /// Its worker died (heartbeat timeout) or left without handing it back.
    case lost
    /// Its worker re-registered without it: the attempt or its result was lost in transit, e.g. while the
    /// coordinator restarted. Not the task's fault.
    case unreported
    /// Its progress stopped moving for the job's hang timeout; killed.
    case hung
    /// It ran past the job's timeout; killed.
    case timedOut = "timed-out"
    /// Another attempt of the same task committed first (speculation), or it succeeded after that.
    case superseded
    /// Its worker handed it back unfinished (drain, BYE).
    case returned
    /// Its job was cancelled or failed.
    case cancelled

    /// Whether this ending uses up one of the task's `max_attempts`. Endings that are not the task's fault
    /// (another copy won, a drain handed it back, the job stopped) do not.
    public var countsAsFailure: Bool {
        switch self {
        case .failed, .lost, .hung, .timedOut: true
        case .succeeded, .superseded, .returned, .cancelled, .unreported: false
        }
    }
}
