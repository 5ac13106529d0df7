extension JobFile {
    /// Parses a job file and checks the keys every kind shares; the kind's `JobPlanner` checks the rest.
    /// - Parameters:
    ///   - text: the job file's contents (YAML; JSON is YAML too).
    ///   - source: the file's name as the user gave it, for error messages.
    ///   - workingDirectory: the submitter's absolute current directory; relative paths resolve against it.
    ///   - settings: defaults for `max_attempts` and `hang_timeout`.
    /// - Throws: `JobFileError` at the first mistake: YAML syntax, a top level that is not a mapping, a missing
    ///   `kind` or `name`, a common key of the wrong type or with an impossible value.
    public static func parse(
        text: String, source: String, workingDirectory: String, settings: Settings
    ) throws(JobFileError) -> JobFile {
        guard workingDirectory.hasPrefix("/") else {
            throw JobFileError(
                source: source, message: "the working directory '\(workingDirectory)' is not an absolute path")
        }
        guard let document = try YAMLNode.parse(yaml: text, source: source) else {
            throw JobFileError(source: source, message: "the job file is empty; a job needs at least kind: and name:")
        }
        let reader = try YAMLMappingReader(document, source: source)
        let kind = try reader.requiredString("kind")
        let name = try reader.requiredString("name")
        if name.contains(where: { $0.isNewline || $0.asciiValue.map { $0 < 0x20 } == true }) {
            throw reader.error("must be one line of printable text", key: "name")
        }
        return JobFile(
            source: source,
            workingDirectory: workingDirectory,
            kind: kind,
            name: name,
            priority: try reader.optionalInt("priority", range: Int(Int32.min)...Int(Int32.max)) ?? 0,
            maxAttempts: try reader.optionalInt("max_attempts", range: 1...1000) ?? settings.maxAttempts,
            // Sent to workers in milliseconds, 32 bits (TASK): at least 1 ms (0 means none there), at most ~49 days.
            timeout: try reader.optionalDuration("timeout", range: .milliseconds(1) ... .milliseconds(Int64(UInt32.max))),
            hangTimeout: try reader.optionalDuration("hang_timeout") ?? settings.hangTimeout,
            speculation: try reader.optionalBool("speculation") ?? true,
            document: document)
    }
}
