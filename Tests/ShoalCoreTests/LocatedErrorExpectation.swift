import ShoalCore
import Testing

/// Checks that `error` happened, at `line`:`column`, on `keyPath`, saying something containing `fragment`.
func expectError(
    _ error: JobFileError?, at line: Int?, _ column: Int?, keyPath: String, saying fragment: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    guard let error else {
        Issue.record("expected an error saying '\(fragment)', got none", sourceLocation: sourceLocation)
        return
    }
    #expect(error.line == line, "\(error)", sourceLocation: sourceLocation)
    #expect(error.column == column, "\(error)", sourceLocation: sourceLocation)
    #expect(error.keyPath == keyPath, "\(error)", sourceLocation: sourceLocation)
    #expect(error.message.contains(fragment), "\(error)", sourceLocation: sourceLocation)
}

/// Parses and plans `yaml` as the coordinator would.
/// - Returns: the error it was refused with, or `nil` (recording an issue) when it was accepted.
func planningError(
    _ yaml: String, workingDirectory: String = "/tmp", sourceLocation: SourceLocation = #_sourceLocation
) -> JobFileError? {
    #expect(throws: JobFileError.self, sourceLocation: sourceLocation) {
        let job = try JobFile.parse(text: yaml, source: "job.yaml", workingDirectory: workingDirectory, settings: Settings())
        _ = try JobKindRegistry.standard.plan(job)
    }
}

/// Parses and plans `yaml`, which must be valid.
func plan(_ yaml: String, workingDirectory: String = "/tmp", settings: Settings = Settings()) throws -> (JobFile, JobPlan) {
    let job = try JobFile.parse(text: yaml, source: "job.yaml", workingDirectory: workingDirectory, settings: settings)
    return (job, try JobKindRegistry.standard.plan(job))
}
