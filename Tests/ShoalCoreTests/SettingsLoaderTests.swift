import Foundation
import ShoalCore
import ShoalTestSupport
import Testing

/// `SettingsLoader`: defaults, then cluster.yaml, then `SHOAL_*` variables, each mistake located.
@Suite struct SettingsLoaderTests {
    private func applying(_ yaml: String) throws(JobFileError) -> Settings {
        var settings = Settings()
        try SettingsLoader.apply(yaml: yaml, source: "cluster.yaml", to: &settings)
        return settings
    }

    private func yamlError(_ yaml: String, sourceLocation: SourceLocation = #_sourceLocation) -> JobFileError? {
        #expect(throws: JobFileError.self, sourceLocation: sourceLocation) { try applying(yaml) }
    }

    private func environmentError(
        _ environment: [String: String], sourceLocation: SourceLocation = #_sourceLocation
    ) -> JobFileError? {
        #expect(throws: JobFileError.self, sourceLocation: sourceLocation) {
            var settings = Settings()
            try SettingsLoader.apply(environment: environment, to: &settings)
        }
    }

    @Test func withoutAFileOrVariablesTheDefaultsHold() throws {
        let directory = try TemporaryDirectory()
        #expect(try SettingsLoader.load(workingDirectory: directory.path, environment: [:]) == Settings())
    }

    @Test func theProjectsClusterYamlStatesTheDefaults() throws {
        let projectRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        #expect(try SettingsLoader.load(workingDirectory: projectRoot.path, environment: [:]) == Settings())
    }

    @Test func clusterYamlInTheWorkingDirectoryIsRead() throws {
        let directory = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory.path("cluster"), withIntermediateDirectories: true)
        try """
        coordinator: { workers: tcp://127.0.0.1:6570, clients: "ipc:///tmp/shoal-clients", state_dir: /var/shoal }
        liveness: { heartbeat_interval: 1s, heartbeat_timeout: 10s, hang_timeout: 1h }
        scheduling: { max_attempts: 5, speculation_factor: 0, speculation_min_runtime: 0s }
        """.write(toFile: directory.path("cluster/cluster.yaml"), atomically: true, encoding: .utf8)
        let settings = try SettingsLoader.load(workingDirectory: directory.path, environment: [:])
        var expected = Settings()
        expected.workerEndpoint = "tcp://127.0.0.1:6570"
        expected.clientEndpoint = "ipc:///tmp/shoal-clients"
        expected.stateDirectory = "/var/shoal"
        expected.heartbeatInterval = .seconds(1)
        expected.heartbeatTimeout = .seconds(10)
        expected.hangTimeout = .seconds(3600)
        expected.maxAttempts = 5
        expected.speculationFactor = 0
        expected.speculationMinimumRuntime = .zero
        #expect(settings == expected)
    }

    @Test func aNamedFileIsReadRelativeToTheWorkingDirectory() throws {
        let directory = try TemporaryDirectory()
        try "scheduling: { max_attempts: 8 }\n".write(toFile: directory.path("other.yaml"), atomically: true, encoding: .utf8)
        let settings = try SettingsLoader.load(configPath: "other.yaml", workingDirectory: directory.path, environment: [:])
        #expect(settings.maxAttempts == 8)
        let missing = #expect(throws: JobFileError.self) {
            try SettingsLoader.load(configPath: "absent.yaml", workingDirectory: directory.path, environment: [:])
        }
        #expect(missing?.description == "absent.yaml: no such file")
    }

    @Test func environmentVariablesOverrideTheFile() throws {
        let directory = try TemporaryDirectory()
        try "scheduling: { max_attempts: 5 }\nliveness: { hang_timeout: 1m }\n"
            .write(toFile: directory.path("c.yaml"), atomically: true, encoding: .utf8)
        let settings = try SettingsLoader.load(
            configPath: "c.yaml", workingDirectory: directory.path,
            environment: [
                "SHOAL_WORKER_ENDPOINT": "tcp://10.0.0.1:7000", "SHOAL_CLIENT_ENDPOINT": "tcp://10.0.0.1:7001",
                "SHOAL_EVENTS_ENDPOINT": "tcp://10.0.0.1:7002", "SHOAL_STATE_DIR": "/srv/state",
                "SHOAL_HEARTBEAT_INTERVAL": "2s", "SHOAL_HEARTBEAT_TIMEOUT": "20s", "SHOAL_MAX_ATTEMPTS": "9",
                "SHOAL_HANG_TIMEOUT": "", "UNRELATED": "x",
            ])
        #expect(settings.workerEndpoint == "tcp://10.0.0.1:7000")
        #expect(settings.clientEndpoint == "tcp://10.0.0.1:7001")
        #expect(settings.eventsEndpoint == "tcp://10.0.0.1:7002")
        #expect(settings.stateDirectory == "/srv/state")
        #expect(settings.heartbeatInterval == .seconds(2))
        #expect(settings.heartbeatTimeout == .seconds(20))
        #expect(settings.maxAttempts == 9)
        #expect(settings.hangTimeout == .seconds(60), "an empty variable counts as unset")
    }

    @Test func unknownSectionsAndKeysAreRefused() {
        expectError(
            yamlError("coordinater:\n  workers: tcp://127.0.0.1:1\n"), at: 1, 1, keyPath: "coordinater",
            saying: "did you mean 'coordinator'?")
        expectError(
            yamlError("liveness:\n  heartbeat_intervall: 1s\n"), at: 2, 3, keyPath: "liveness.heartbeat_intervall",
            saying: "did you mean 'heartbeat_interval'?")
    }

    @Test func badTypesAndValuesAreLocated() {
        expectError(
            yamlError("scheduling:\n  max_attempts: many\n"), at: 2, 17, keyPath: "scheduling.max_attempts",
            saying: "expected a whole number, got a string")
        expectError(
            yamlError("scheduling: { speculation_factor: -1 }\n"), at: 1, 35, keyPath: "scheduling.speculation_factor",
            saying: "must be between 0.0 and 1000.0")
        expectError(
            yamlError("liveness: 5s\n"), at: 1, 11, keyPath: "liveness", saying: "expected a mapping (key: value lines), got a string")
        expectError(
            yamlError("coordinator:\n  workers: 127.0.0.1:5570\n"), at: 2, 12, keyPath: "coordinator.workers",
            saying: "'127.0.0.1:5570' is not a valid endpoint: expected tcp://HOST:PORT")
        expectError(
            yamlError("coordinator:\n  events: tcp://127.0.0.1:http\n"), at: 2, 11, keyPath: "coordinator.events",
            saying: "'http' is not a port number")
        expectError(
            yamlError("liveness:\n  heartbeat_interval: 1e16\n"), at: 2, 23, keyPath: "liveness.heartbeat_interval",
            saying: "(at most about 292 years)")
    }

    @Test func theHeartbeatTimeoutMustExceedTheInterval() {
        expectError(
            yamlError("liveness:\n  heartbeat_interval: 2s\n  heartbeat_timeout: 2s\n"), at: 3, 22,
            keyPath: "liveness.heartbeat_timeout", saying: "heartbeat_timeout (2s) must exceed heartbeat_interval (2s)")
        expectError(
            yamlError("liveness:\n  heartbeat_interval: 10s\n"), at: 2, 23, keyPath: "liveness.heartbeat_interval",
            saying: "heartbeat_timeout (5s) must exceed heartbeat_interval (10s)")
        expectError(
            environmentError(["SHOAL_HEARTBEAT_TIMEOUT": "100ms"]), at: nil, nil, keyPath: "SHOAL_HEARTBEAT_TIMEOUT",
            saying: "must exceed heartbeat_interval (500ms)")
    }

    @Test func badEnvironmentVariablesAreNamed() {
        expectError(
            environmentError(["SHOAL_MAX_ATTEMPTS": "0"]), at: nil, nil, keyPath: "SHOAL_MAX_ATTEMPTS",
            saying: "'0' is not a whole number between 1 and 1000")
        expectError(
            environmentError(["SHOAL_HANG_TIMEOUT": "soon"]), at: nil, nil, keyPath: "SHOAL_HANG_TIMEOUT",
            saying: "'soon' is not a positive duration")
        let error = environmentError(["SHOAL_CLIENT_ENDPOINT": "udp://x:1"])
        expectError(error, at: nil, nil, keyPath: "SHOAL_CLIENT_ENDPOINT", saying: "unknown transport 'udp'")
        #expect(error?.description.hasPrefix("environment: SHOAL_CLIENT_ENDPOINT: ") == true)
    }

    @Test func sharedMemoryIsOnUnlessTheFileOrTheEnvironmentSaysOff() throws {
        #expect(Settings().sharedMemory)
        #expect(try applying("coordinator: { shared_memory: false }").sharedMemory == false)
        var settings = try applying("coordinator: { shared_memory: false }")
        try SettingsLoader.apply(environment: ["SHOAL_SHARED_MEMORY": "on"], to: &settings)
        #expect(settings.sharedMemory)
        try SettingsLoader.apply(environment: ["SHOAL_SHARED_MEMORY": "off"], to: &settings)
        #expect(!settings.sharedMemory)
        expectError(
            environmentError(["SHOAL_SHARED_MEMORY": "maybe"]), at: nil, nil, keyPath: "SHOAL_SHARED_MEMORY",
            saying: "'maybe' is not on or off")
        #expect(yamlError("coordinator: { shared_memory: sometimes }") != nil)
    }
}
