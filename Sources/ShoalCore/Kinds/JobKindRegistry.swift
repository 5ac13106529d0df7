import ShoalETL

/// The job kinds a coordinator accepts: each `kind:` name with the `JobPlanner` that plans it.
public struct JobKindRegistry: Sendable {
    private var planners: [String: any JobPlanner] = [:]

    /// A registry of `planners`; two planners of one kind are a programming error.
    public init(_ planners: [any JobPlanner]) {
        for planner in planners { register(planner) }
    }

    /// The built-in kinds: `command`, `etl`, `train`, `predict` and `noop`.
    public static let standard = JobKindRegistry([
        CommandJobPlanner(), ETLJobPlanner(), TrainJobPlanner(), PredictJobPlanner(), NoopJobPlanner(),
    ])

    /// Adds `planner` (ETL, training, …).
    public mutating func register(_ planner: any JobPlanner) {
        precondition(planners[planner.kind] == nil, "two planners for job kind '\(planner.kind)'")
        planners[planner.kind] = planner
    }

    /// The known kind names, sorted.
    public var kinds: [String] { planners.keys.sorted() }

    /// The planner for `kind`, if known.
    public func planner(for kind: String) -> (any JobPlanner)? { planners[kind] }

    /// Plans `job` with the planner of its kind.
    /// - Throws: `JobFileError` at `kind:` when the kind is unknown (listing the known ones), or the planner's.
    public func plan(_ job: JobFile) throws(JobFileError) -> JobPlan {
        guard let planner = planners[job.kind] else {
            let suggestion = NameSuggestion.closest(to: job.kind, among: planners.keys).map { "; did you mean '\($0)'?" }
            let reader = try YAMLMappingReader(job.document, source: job.source)
            throw reader.error(
                "unknown kind '\(job.kind)'\(suggestion ?? "") (known kinds: \(kinds.joined(separator: ", ")))",
                key: "kind")
        }
        return try planner.plan(job)
    }
}
