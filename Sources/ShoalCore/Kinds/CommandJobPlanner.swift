/// Plans a `command` job — Hadoop Streaming without Hadoop: one task per input file (`inputs:`), or a number of
/// tasks without input (`shards:`), each running the same command. docs/jobs.md is the reference.
public struct CommandJobPlanner: JobPlanner {
    public let kind = "command"

    /// The most tasks one `command` job may have.
    public static let maximumShards = 1_000_000
    /// The keys of a `command` job besides the common ones.
    public static let keys = ["command", "inputs", "shards", "env", "output", "stdout"]

    public init() {}

    public func plan(_ job: JobFile) throws(JobFileError) -> JobPlan {
        let reader = try job.reader(keys: Self.keys)
        let arguments = try Self.arguments(reader)
        let environment = try Self.environment(reader)
        let standardOutput = try Self.standardOutput(reader)
        let shards = try Self.shards(reader, workingDirectory: job.workingDirectory)
        let outputDirectory = try reader.optionalString("output").map {
            LexicalPath.absolute($0, in: job.workingDirectory)
        }
        let tasks = shards.enumerated().map { index, shard in
            let spec = CommandTaskSpec(
                arguments: arguments, environment: environment, workingDirectory: job.workingDirectory,
                input: shard.file?.path, shardIndex: index, shardCount: shards.count, jobName: job.name,
                standardOutput: standardOutput)
            return PlannedTask(index: index, label: shard.label, spec: spec.jsonBytes(), inputBytes: shard.file?.size ?? 0)
        }
        return JobPlan(tasks: tasks, outputDirectory: outputDirectory)
    }

    private struct Shard {
        var file: InputFile?
        var label: String
    }

    /// `command:` as argv: a list as written, a string through `/bin/sh -c`.
    private static func arguments(_ reader: YAMLMappingReader) throws(JobFileError) -> [String] {
        switch try reader.requiredStringOrList("command") {
        case .string(let line):
            guard line.contains(where: { !$0.isWhitespace }) else {
                throw reader.error("the command is empty", key: "command")
            }
            return ["/bin/sh", "-c", line]
        case .list(let arguments):
            guard let program = arguments.first else {
                throw reader.error("the list is empty; it must start with the program to run", key: "command")
            }
            guard !program.isEmpty else { throw reader.error("the program name is empty", key: "command", element: 0) }
            return arguments
        }
    }

    private static func environment(_ reader: YAMLMappingReader) throws(JobFileError) -> [String: String] {
        guard let values = try reader.optionalStringMap("env"), let node = reader.presentValue("env") else { return [:] }
        let names = try YAMLMappingReader(node, source: reader.source, keyPath: "env")
        for name in names.keys {
            if name.isEmpty || name.contains("=") || name.contains("\0") {
                throw names.error("'\(name)' is not a valid environment variable name", key: name)
            }
            if name.hasPrefix("SHOAL_") {
                throw names.error("SHOAL_ variables are set by Shoal for each task and cannot be overridden", key: name)
            }
        }
        return values
    }

    private static func standardOutput(
        _ reader: YAMLMappingReader
    ) throws(JobFileError) -> CommandTaskSpec.StandardOutput {
        guard let text = try reader.optionalString("stdout") else { return .output }
        guard let mode = CommandTaskSpec.StandardOutput(rawValue: text) else {
            throw reader.error("expected 'output' or 'discard', got '\(text)'", key: "stdout")
        }
        return mode
    }

    /// Exactly one of `inputs:` (files, sorted by path, each once) and `shards:` (a count).
    private static func shards(_ reader: YAMLMappingReader, workingDirectory: String) throws(JobFileError) -> [Shard] {
        let patterns = try reader.optionalStringOrList("inputs")
        let count = try reader.optionalInt("shards", range: 1...maximumShards)
        switch (patterns, count) {
        case (nil, nil):
            throw reader.error(
                "missing: give inputs (file patterns, one task per file) or shards (a number of tasks)", key: "inputs")
        case (.some, .some):
            throw reader.error("give either inputs or shards, not both", key: "shards")
        case (nil, .some(let count)):
            return (0..<count).map { Shard(file: nil, label: "shard \($0)") }
        case (.some(let patterns), nil):
            let files = try inputFiles(patterns, reader: reader, workingDirectory: workingDirectory)
            guard files.count <= maximumShards else {
                throw reader.error(
                    "the patterns match \(files.count) files, more than the \(maximumShards) tasks a job may have",
                    key: "inputs")
            }
            return files.map { Shard(file: $0, label: LexicalPath.relative($0.path, to: workingDirectory)) }
        }
    }

    private static func inputFiles(
        _ patterns: YAMLMappingReader.StringOrList, reader: YAMLMappingReader, workingDirectory: String
    ) throws(JobFileError) -> [InputFile] {
        let list: [(pattern: String, element: Int?)]
        switch patterns {
        case .string(let pattern): list = [(pattern, nil)]
        case .list(let patterns): list = patterns.enumerated().map { ($1, $0) }
        }
        guard !list.isEmpty else { throw reader.error("the list is empty; give at least one pattern", key: "inputs") }
        var files: [String: InputFile] = [:]
        for (pattern, element) in list {
            guard !pattern.isEmpty else { throw reader.error("the pattern is empty", key: "inputs", element: element) }
            let matches = InputGlob.files(matching: pattern, in: workingDirectory)
            guard !matches.isEmpty else {
                throw reader.error(
                    "'\(pattern)' matches no regular file in \(workingDirectory)", key: "inputs", element: element)
            }
            for file in matches { files[file.path] = file }
        }
        return files.values.sorted { $0.path < $1.path }
    }
}
