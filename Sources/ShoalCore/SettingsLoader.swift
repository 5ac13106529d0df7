import Foundation
import ShoalProtocol

/// Fills `Settings` in layers, each overriding the one before: the defaults, a cluster.yaml, then `SHOAL_*`
/// environment variables. (Command-line flags come last; the CLI applies them.)
///
/// cluster.yaml (every section and key optional; unknown keys are errors):
/// ```yaml
/// coordinator: { workers: tcp://127.0.0.1:5570, clients: tcp://127.0.0.1:5571, events: tcp://127.0.0.1:5572,
///                state_dir: .shoal/state, shared_memory: true }
/// liveness:    { heartbeat_interval: 500ms, heartbeat_timeout: 5s, hang_timeout: 10m }
/// scheduling:  { max_attempts: 3, speculation_factor: 3.0, speculation_min_runtime: 2s }
/// security:    { curve: auto, keys_dir: cluster/keys, key: FILE, coordinator_key: FILE, max_message_size: 1025MiB }
/// ```
public enum SettingsLoader {
    /// The configuration read when none is named, relative to the working directory, if it exists.
    public static let defaultConfigPath = "cluster/cluster.yaml"

    /// Where each setting comes from in the environment.
    public static let environmentVariables = [
        "SHOAL_WORKER_ENDPOINT", "SHOAL_CLIENT_ENDPOINT", "SHOAL_EVENTS_ENDPOINT", "SHOAL_STATE_DIR",
        "SHOAL_HEARTBEAT_INTERVAL", "SHOAL_HEARTBEAT_TIMEOUT", "SHOAL_MAX_ATTEMPTS", "SHOAL_HANG_TIMEOUT",
        "SHOAL_CURVE", "SHOAL_KEYS_DIR", "SHOAL_KEY", "SHOAL_COORDINATOR_KEY", "SHOAL_SHARED_MEMORY",
    ]

    /// The defaults, then the configuration file, then the environment.
    /// - Parameters:
    ///   - configPath: the file to read (`--config`), relative to `workingDirectory` unless absolute; `nil`:
    ///     `cluster/cluster.yaml` when it exists there, else none.
    ///   - workingDirectory: where relative paths start.
    ///   - environment: the process's environment.
    /// - Throws: `JobFileError` naming the file, line and key (or the variable) at fault.
    public static func load(
        configPath: String? = nil,
        workingDirectory: String = FileManager.default.currentDirectoryPath,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(JobFileError) -> Settings {
        var settings = Settings()
        let defaultPath = LexicalPath.absolute(defaultConfigPath, in: workingDirectory)
        let path = configPath ?? (FileManager.default.fileExists(atPath: defaultPath) ? defaultConfigPath : nil)
        if let path {
            let text = try read(path, absolutePath: LexicalPath.absolute(path, in: workingDirectory))
            try apply(yaml: text, source: path, to: &settings)
        }
        try apply(environment: environment, to: &settings)
        return settings
    }

    /// Applies the cluster.yaml `text` to `settings`; keys it does not mention keep their values.
    public static func apply(yaml text: String, source: String, to settings: inout Settings) throws(JobFileError) {
        guard let document = try YAMLNode.parse(yaml: text, source: source) else { return }
        let root = try YAMLMappingReader(document, source: source)
        try root.checkKeys(["coordinator", "liveness", "scheduling", "security"])
        if let coordinator = try root.optionalMapping(
            "coordinator", keys: ["workers", "clients", "events", "state_dir", "shared_memory"])
        {
            settings.workerEndpoint = try endpoint(coordinator, "workers") ?? settings.workerEndpoint
            settings.clientEndpoint = try endpoint(coordinator, "clients") ?? settings.clientEndpoint
            settings.eventsEndpoint = try endpoint(coordinator, "events") ?? settings.eventsEndpoint
            settings.stateDirectory = try coordinator.optionalString("state_dir") ?? settings.stateDirectory
            settings.sharedMemory = try coordinator.optionalBool("shared_memory") ?? settings.sharedMemory
        }
        if let liveness = try root.optionalMapping(
            "liveness", keys: ["heartbeat_interval", "heartbeat_timeout", "hang_timeout"])
        {
            settings.heartbeatInterval = try liveness.optionalDuration("heartbeat_interval") ?? settings.heartbeatInterval
            settings.heartbeatTimeout = try liveness.optionalDuration("heartbeat_timeout") ?? settings.heartbeatTimeout
            settings.hangTimeout = try liveness.optionalDuration("hang_timeout") ?? settings.hangTimeout
            if let conflict = inconsistency(in: settings) {
                let key = liveness.contains("heartbeat_timeout") ? "heartbeat_timeout" : "heartbeat_interval"
                throw liveness.error(conflict, key: key)
            }
        }
        if let scheduling = try root.optionalMapping(
            "scheduling", keys: ["max_attempts", "speculation_factor", "speculation_min_runtime"])
        {
            settings.maxAttempts = try scheduling.optionalInt("max_attempts", range: 1...1000) ?? settings.maxAttempts
            settings.speculationFactor =
                try scheduling.optionalDouble("speculation_factor", range: 0...1000) ?? settings.speculationFactor
            settings.speculationMinimumRuntime =
                try scheduling.optionalDuration("speculation_min_runtime", allowZero: true)
                ?? settings.speculationMinimumRuntime
        }
        if let security = try root.optionalMapping(
            "security", keys: ["curve", "keys_dir", "key", "coordinator_key", "max_message_size"])
        {
            if let text = try security.optionalString("curve") {
                guard let mode = CurveMode(rawValue: text) else {
                    throw security.error("'\(text)' is not a CURVE mode; expected auto, on or off", key: "curve")
                }
                settings.curve = mode
            }
            // Paths in the file are relative to the working directory, like state_dir.
            settings.keysDirectory = try security.optionalString("keys_dir") ?? settings.keysDirectory
            settings.identityKey = try security.optionalString("key") ?? settings.identityKey
            settings.coordinatorKey = try security.optionalString("coordinator_key") ?? settings.coordinatorKey
            if let text = try security.optionalString("max_message_size") {
                guard let bytes = byteSize(text), bytes >= 1 << 20 else {
                    throw security.error(
                        "'\(text)' is not a size of at least 1MiB; write e.g. 64MiB or 2GiB", key: "max_message_size")
                }
                settings.maxMessageBytes = bytes
            }
        }
    }

    /// A size such as `512KiB`, `64MiB`, `2GiB` or a plain number of bytes.
    public static func byteSize(_ text: String) -> Int64? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let units: [(String, Int64)] = [("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("B", 1)]
        for (suffix, scale) in units where trimmed.hasSuffix(suffix) {
            guard let value = Int64(trimmed.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)), value >= 0,
                  value <= Int64.max / scale
            else { return nil }
            return value * scale
        }
        return Int64(trimmed)
    }

    /// Applies the `SHOAL_*` variables of `environment` to `settings`; an empty variable counts as unset.
    public static func apply(environment: [String: String], to settings: inout Settings) throws(JobFileError) {
        let variables = environment.filter { environmentVariables.contains($0.key) && !$0.value.isEmpty }
        func fail(_ name: String, _ message: String) -> JobFileError {
            JobFileError(source: "environment", keyPath: name, message: message)
        }
        func endpoint(_ name: String) throws(JobFileError) -> String? {
            guard let text = variables[name] else { return nil }
            do { _ = try Endpoint(text) } catch { throw fail(name, error.description) }
            return text
        }
        func duration(_ name: String) throws(JobFileError) -> Duration? {
            guard let text = variables[name] else { return nil }
            guard let value = DurationText.parse(text), value > .zero else {
                throw fail(name, "'\(text)' is not a positive duration; write e.g. 250ms, 30s, 5m or 1h30m")
            }
            return value
        }
        settings.workerEndpoint = try endpoint("SHOAL_WORKER_ENDPOINT") ?? settings.workerEndpoint
        settings.clientEndpoint = try endpoint("SHOAL_CLIENT_ENDPOINT") ?? settings.clientEndpoint
        settings.eventsEndpoint = try endpoint("SHOAL_EVENTS_ENDPOINT") ?? settings.eventsEndpoint
        settings.stateDirectory = variables["SHOAL_STATE_DIR"] ?? settings.stateDirectory
        if let text = variables["SHOAL_CURVE"] {
            guard let mode = CurveMode(rawValue: text) else {
                throw fail("SHOAL_CURVE", "'\(text)' is not a CURVE mode; expected auto, on or off")
            }
            settings.curve = mode
        }
        if let text = variables["SHOAL_SHARED_MEMORY"] {
            switch text.lowercased() {
            case "on", "true", "1", "yes": settings.sharedMemory = true
            case "off", "false", "0", "no": settings.sharedMemory = false
            default: throw fail("SHOAL_SHARED_MEMORY", "'\(text)' is not on or off")
            }
        }
        settings.keysDirectory = variables["SHOAL_KEYS_DIR"] ?? settings.keysDirectory
        settings.identityKey = variables["SHOAL_KEY"] ?? settings.identityKey
        settings.coordinatorKey = variables["SHOAL_COORDINATOR_KEY"] ?? settings.coordinatorKey
        settings.heartbeatInterval = try duration("SHOAL_HEARTBEAT_INTERVAL") ?? settings.heartbeatInterval
        settings.heartbeatTimeout = try duration("SHOAL_HEARTBEAT_TIMEOUT") ?? settings.heartbeatTimeout
        settings.hangTimeout = try duration("SHOAL_HANG_TIMEOUT") ?? settings.hangTimeout
        if let text = variables["SHOAL_MAX_ATTEMPTS"] {
            guard let value = Int(text), (1...1000).contains(value) else {
                throw fail("SHOAL_MAX_ATTEMPTS", "'\(text)' is not a whole number between 1 and 1000")
            }
            settings.maxAttempts = value
        }
        if let conflict = inconsistency(in: settings) {
            let name = variables["SHOAL_HEARTBEAT_TIMEOUT"] != nil ? "SHOAL_HEARTBEAT_TIMEOUT" : "SHOAL_HEARTBEAT_INTERVAL"
            throw fail(name, conflict)
        }
    }

    /// What is wrong with `settings` as a whole, whichever layers set it (the CLI checks again after flags):
    /// a worker must be able to miss a heartbeat or two before it is declared dead, and WELCOME carries both
    /// values as 32-bit milliseconds.
    public static func inconsistency(in settings: Settings) -> String? {
        let interval = DurationText.format(settings.heartbeatInterval)
        let timeout = DurationText.format(settings.heartbeatTimeout)
        if settings.heartbeatTimeout <= settings.heartbeatInterval {
            return "heartbeat_timeout (\(timeout)) must exceed heartbeat_interval (\(interval))"
        }
        if settings.heartbeatTimeout > .milliseconds(Int64(UInt32.max)) {
            return "heartbeat_timeout (\(timeout)) must be at most \(DurationText.format(.milliseconds(Int64(UInt32.max))))"
        }
        return nil
    }

    private static func endpoint(_ reader: YAMLMappingReader, _ key: String) throws(JobFileError) -> String? {
        guard let text = try reader.optionalString(key) else { return nil }
        do {
            _ = try Endpoint(text)
        } catch {
            throw reader.error(error.description, key: key)
        }
        return text
    }

    private static func read(_ path: String, absolutePath: String) throws(JobFileError) -> String {
        guard FileManager.default.fileExists(atPath: absolutePath) else {
            throw JobFileError(source: path, message: "no such file")
        }
        guard let data = FileManager.default.contents(atPath: absolutePath) else {
            throw JobFileError(source: path, message: "cannot read the file (is it a readable file?)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw JobFileError(source: path, message: "not UTF-8 text")
        }
        return text
    }
}
