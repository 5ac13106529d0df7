/// A job file, parsed and checked for the keys every kind shares; the kind-specific keys stay in `document`
/// for the kind's `JobPlanner`, which reads them with their source positions so its errors name the line.
///
/// Common keys (docs/jobs.md): `kind` (required), `name` (required), `priority` (default 0; higher runs first),
/// `max_attempts` (default from settings), `timeout` (per attempt; none by default), `hang_timeout` (progress
/// stall; default from settings), `speculation` (default true).
public struct JobFile: Sendable {
    /// Where the text came from, for error messages: a path as the user typed it, or a name.
    public var source: String
    /// Relative paths in the job file are resolved against this absolute directory (the submitter's current
    /// directory), so a job means the same thing wherever the coordinator runs.
    public var workingDirectory: String
    public var kind: String
    public var name: String
    public var priority: Int
    public var maxAttempts: Int
    /// Kill an attempt after this long; `nil`: no limit.
    public var timeout: Duration?
    /// Kill and retry an attempt whose progress has not moved for this long.
    public var hangTimeout: Duration
    /// Whether stragglers of this job may be speculatively duplicated.
    public var speculation: Bool
    /// The whole parsed document (a mapping), with positions, for the kind's planner (`reader(keys:)`).
    public var document: YAMLNode

    public init(
        source: String, workingDirectory: String, kind: String, name: String, priority: Int, maxAttempts: Int,
        timeout: Duration?, hangTimeout: Duration, speculation: Bool, document: YAMLNode
    ) {
        self.source = source
        self.workingDirectory = workingDirectory
        self.kind = kind
        self.name = name
        self.priority = priority
        self.maxAttempts = maxAttempts
        self.timeout = timeout
        self.hangTimeout = hangTimeout
        self.speculation = speculation
        self.document = document
    }
}

extension JobFile {
    /// The keys every kind accepts; `JobFile.parse` reads them.
    public static let commonKeys = ["kind", "name", "priority", "max_attempts", "timeout", "hang_timeout", "speculation"]

    /// A reader over the document for a kind's planner, which reads `keys` besides the common ones.
    /// - Throws: `JobFileError` at the first key that is neither common nor in `keys`.
    public func reader(keys: [String]) throws(JobFileError) -> YAMLMappingReader {
        let reader = try YAMLMappingReader(document, source: source)
        try reader.checkKeys(Self.commonKeys + keys)
        return reader
    }
}
