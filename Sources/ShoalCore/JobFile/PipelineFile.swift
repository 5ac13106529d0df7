import Foundation

/// A pipeline file: job files run one after another on one cluster by `shoal run` — an ETL job, then a training
/// job on its output. Each job starts only when the one before has succeeded, so it can read what that one wrote
/// (its globs are expanded at its own submission).
///
/// ```yaml
/// kind: pipeline
/// name: clicks-etl-then-train
/// jobs: [clicks-features.yaml, ctr-train-features.yaml]   # relative to this file's directory
/// ```
public struct PipelineFile: Sendable, Equatable {
    public var name: String
    /// The job files, absolute.
    public var jobs: [String]

    /// Whether `text` is a pipeline file (its `kind` is `pipeline`); false for anything that does not parse.
    public static func isPipeline(_ text: String) -> Bool {
        guard let document = try? YAMLNode.parse(yaml: text, source: "-"),
              let reader = try? YAMLMappingReader(document, source: "-") else { return false }
        return (try? reader.optionalString("kind")) == "pipeline"
    }

    /// - Parameter path: the pipeline file's path, for errors and for resolving the job files.
    /// - Throws: `JobFileError` at the first mistake (an unknown key, no jobs, a job file that is not there).
    public static func parse(text: String, path: String) throws(JobFileError) -> PipelineFile {
        guard let document = try YAMLNode.parse(yaml: text, source: path) else {
            throw JobFileError(source: path, message: "the pipeline file is empty")
        }
        let reader = try YAMLMappingReader(document, source: path)
        try reader.checkKeys(["kind", "name", "jobs"])
        let name = try reader.requiredString("name")
        guard let jobs = try reader.optionalStringList("jobs"), !jobs.isEmpty else {
            throw reader.error("a pipeline lists its job files: jobs: [first.yaml, second.yaml]", key: "jobs")
        }
        let directory = (LexicalPath.absolute(path, in: FileManager.default.currentDirectoryPath) as NSString)
            .deletingLastPathComponent
        var resolved: [String] = []
        for (index, job) in jobs.enumerated() {
            let absolute = LexicalPath.absolute(job, in: directory)
            guard FileManager.default.isReadableFile(atPath: absolute) else {
                throw reader.error("no job file \(absolute)", key: "jobs", element: index)
            }
            resolved.append(absolute)
        }
        return PipelineFile(name: name, jobs: resolved)
    }
}
