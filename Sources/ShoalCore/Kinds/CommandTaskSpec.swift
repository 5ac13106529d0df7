/// One shard of a `command` job, as the worker's `CommandExecutor` runs it: the program and its arguments,
/// the input file fed to its stdin, and what its environment and placeholders say about the shard.
///
/// Placeholders (`{input}`, `{shard}`, `{shards}`, `{output_dir}`, `{attempt}`) stay in `arguments` as
/// written and are substituted by the worker (`resolvedArguments`), because the output directory and the
/// attempt number exist only there.
public struct CommandTaskSpec: JSONTaskSpec, Equatable {
    /// What happens to the process's standard output.
    public enum StandardOutput: String, Codable, Sendable {
        /// Saved as the output file named `stdout`.
        case output
        /// Thrown away (the command writes its outputs into `{output_dir}` itself).
        case discard
    }

    /// argv: the program (looked up in `PATH` when it has no `/`), then its arguments. A command written as
    /// one string is `["/bin/sh", "-c", string]`.
    public var arguments: [String]
    /// The job's `env:`, added to the worker's environment.
    public var environment: [String: String]
    /// The process's current directory: the submitter's working directory.
    public var workingDirectory: String
    /// The absolute path of the shard's input file, fed to stdin; `nil` for `shards:` jobs (stdin is empty).
    public var input: String?
    /// The shard's index, from 0.
    public var shardIndex: Int
    /// The number of shards in the job.
    public var shardCount: Int
    /// The job's `name:`.
    public var jobName: String
    public var standardOutput: StandardOutput

    public init(
        arguments: [String], environment: [String: String] = [:], workingDirectory: String, input: String?,
        shardIndex: Int, shardCount: Int, jobName: String, standardOutput: StandardOutput = .output
    ) {
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.input = input
        self.shardIndex = shardIndex
        self.shardCount = shardCount
        self.jobName = jobName
        self.standardOutput = standardOutput
    }

    private enum CodingKeys: String, CodingKey {
        case arguments
        case environment = "env"
        case workingDirectory = "working_directory"
        case input
        case shardIndex = "shard"
        case shardCount = "shards"
        case jobName = "job_name"
        case standardOutput = "stdout"
    }

    /// The placeholder names an argument may contain, each written in braces.
    public static let placeholders = ["input", "shard", "shards", "output_dir", "attempt"]

    /// `arguments` with every placeholder replaced. Braces around any other text are left alone, so shell and
    /// awk code (`{print $1}`) passes through unchanged.
    public func resolvedArguments(outputDirectory: String, attempt: UInt32) -> [String] {
        let values = [
            "input": input ?? "", "shard": String(shardIndex), "shards": String(shardCount),
            "output_dir": outputDirectory, "attempt": String(attempt),
        ]
        return arguments.map { Self.substitute(values, in: $0) }
    }

    /// The process's environment: `inherited`, then the job's `env:`, then the `SHOAL_*` variables that
    /// describe this attempt (the planner refuses `SHOAL_*` names in `env:`). `PWD` names the working
    /// directory, as a shell would set it, rather than the worker's.
    public func processEnvironment(
        inheriting inherited: [String: String], taskID: UInt64, attempt: UInt32, outputDirectory: String
    ) -> [String: String] {
        var result = inherited.merging(environment) { _, job in job }
        result["PWD"] = workingDirectory
        result["SHOAL_JOB_NAME"] = jobName
        result["SHOAL_SHARD_INDEX"] = String(shardIndex)
        result["SHOAL_SHARD_COUNT"] = String(shardCount)
        result["SHOAL_INPUT"] = input ?? ""
        result["SHOAL_OUTPUT_DIR"] = outputDirectory
        result["SHOAL_TASK_ID"] = String(taskID)
        result["SHOAL_ATTEMPT"] = String(attempt)
        return result
    }

    /// One left-to-right pass, so a substituted value that itself contains `{shard}` is not substituted again.
    private static func substitute(_ values: [String: String], in argument: String) -> String {
        guard argument.contains("{") else { return argument }
        var result = ""
        var rest = Substring(argument)
        while let open = rest.firstIndex(of: "{") {
            result += rest[..<open]
            let afterOpen = rest.index(after: open)
            if let close = rest[afterOpen...].firstIndex(of: "}"), let value = values[String(rest[afterOpen..<close])] {
                result += value
                rest = rest[rest.index(after: close)...]
            } else {
                result += "{"
                rest = rest[afterOpen...]
            }
        }
        return result + rest
    }
}
