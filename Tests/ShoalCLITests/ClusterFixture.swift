import Foundation
import ShoalClient
import ShoalCore
import ShoalTestSupport
import Testing
import ZeroMQ

/// A real cluster for a test: a `shoal coordinator` process and `shoal worker` processes on loopback with
/// OS-chosen ports, a state directory of its own, short heartbeats so failures are detected in about a second.
/// Every child is killed by PID when the fixture goes away.
final class ClusterFixture {
    let directory: TemporaryDirectory
    let stateDirectory: String
    private(set) var coordinator: ChildProcess?
    private(set) var workers: [String: ChildProcess] = [:]
    private(set) var endpoints: [String: String] = [:]
    let heartbeatInterval = "0.1"
    let heartbeatTimeout = "1.5"
    /// More arguments for `shoal coordinator` (its keys, say).
    var coordinatorArguments: [String] = []
    /// How the fixture's own clients connect.
    var clientSecurity = ClientSecurity.plaintext

    init() throws {
        directory = try TemporaryDirectory(prefix: "shoal-cluster")
        stateDirectory = directory.path("state")
    }

    var workerEndpoint: String { endpoints["workers"] ?? "" }
    var clientEndpoint: String { endpoints["clients"] ?? "" }
    var eventsEndpoint: String { endpoints["events"] ?? "" }

    /// Starts the coordinator; with `reuseEndpoints`, on the endpoints the previous one bound (a restart); with
    /// `stateDirectory`, on another state directory than the fixture's (a coordinator that lost its state).
    func startCoordinator(reuseEndpoints: Bool = false, stateDirectory: String? = nil) async throws {
        let ready = directory.path("coordinator-\(UUID().uuidString.prefix(6)).ready")
        let endpoints = reuseEndpoints ? self.endpoints : [
            "workers": "tcp://127.0.0.1:0", "clients": "tcp://127.0.0.1:0", "events": "tcp://127.0.0.1:0",
        ]
        let child = try ChildProcess(
            try BuiltProducts.shoal,
            ["coordinator", "--state-dir", stateDirectory ?? self.stateDirectory, "--ready-file", ready,
             "--worker-endpoint", endpoints["workers"]!, "--client-endpoint", endpoints["clients"]!,
             "--events-endpoint", endpoints["events"]!, "--heartbeat-interval", heartbeatInterval,
             "--heartbeat-timeout", heartbeatTimeout, "--log-level", "debug"] + coordinatorArguments,
            in: directory, name: "coordinator")
        coordinator = child
        let found = await waitUntil(timeout: .seconds(30)) { FileManager.default.fileExists(atPath: ready) || !child.isRunning }
        guard found, let data = FileManager.default.contents(atPath: ready),
              let values = try JSONSerialization.jsonObject(with: data) as? [String: String] else {
            throw FixtureError("the coordinator did not become ready: \(child.stderr.suffix(3_000))")
        }
        self.endpoints = values
    }

    /// Starts a worker named `name` and, unless told not to, waits until the coordinator lists it.
    @discardableResult
    func startWorker(
        _ name: String, slots: Int = 2, extra: [String] = [], environment: [String: String] = [:],
        waitForRegistration: Bool = true
    ) async throws -> ChildProcess {
        let child = try ChildProcess(
            try BuiltProducts.shoal,
            ["worker", "--coordinator", workerEndpoint, "--id", name, "--slots", "\(slots)", "--log-level", "debug"]
                + extra,
            in: directory,
            environment: ProcessInfo.processInfo.environment.merging(environment) { $1 }, name: name)
        workers[name] = child
        if waitForRegistration {
            try await waitFor("worker \(name) registered") { status in status.workers.contains { $0.id == name } }
        }
        return child
    }

    /// A client for the coordinator's client endpoint; closed by the caller.
    func client() async throws -> CoordinatorClient {
        try await CoordinatorClient(endpoint: clientEndpoint, context: try Context(), security: clientSecurity)
    }

    /// Polls the cluster status until `condition` holds, for at most `timeout`.
    func waitFor(
        _ what: String, job: JobID = 0, timeout: Duration = .seconds(60),
        _ condition: @escaping @Sendable (ClusterStatus) -> Bool
    ) async throws {
        let client = try await client()
        defer { Task { await client.close() } }
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var last: ClusterStatus?
        while clock.now < deadline {
            if let status = try? await client.status(job: job, timeout: .seconds(2)) {
                last = status
                if condition(status) { return }
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw FixtureError("timed out waiting for \(what); last status: \(String(describing: last?.jobs.first?.counts)); "
                           + "coordinator stderr: \(coordinator?.stderr.suffix(3_000) ?? "")")
    }

    /// Waits for `job` to finish and returns its final status.
    func waitForEnd(of job: JobID, timeout: Duration = .seconds(90)) async throws -> JobStatus {
        try await waitFor("job \(job) to finish", job: job, timeout: timeout) {
            $0.jobs.first?.record.state.isTerminal == true
        }
        let client = try await client()
        let status = try await client.status(job: job)
        await client.close()
        guard let final = status.jobs.first else { throw FixtureError("job \(job) vanished") }
        return final
    }

    /// Writes a job file into the fixture's directory and submits it.
    func submit(_ yaml: String, name: String = "job.yaml") async throws -> JobID {
        let path = directory.path(name)
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        let client = try await client()
        let accepted = try await client.submit(jobFile: yaml, source: path, workingDirectory: directory.path)
        await client.close()
        return accepted.jobID
    }

    /// Files committed under `output`, as relative path → contents (binary files, such as an ETL shard's
    /// `aggregate.bin`, decoded leniently).
    func committedFiles(in output: String) throws -> [String: String] {
        var files: [String: String] = [:]
        let root = directory.path(output)
        guard let walker = FileManager.default.enumerator(atPath: root) else { return [:] }
        while let relative = walker.nextObject() as? String {
            var isDirectory: ObjCBool = false
            let path = (root as NSString).appendingPathComponent(relative)
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
                files[relative] = String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
            }
        }
        return files
    }

    deinit {
        for worker in workers.values { worker.signal(SIGKILL) }
        coordinator?.signal(SIGKILL)
    }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
