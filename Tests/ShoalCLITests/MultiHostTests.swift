import Foundation
import ShoalCore
import ShoalTestSupport
import Testing

/// A cluster across separate hosts — network namespaces made by the test, joined by a bridge — with CURVE on:
/// the coordinator on one host, workers on two others, an intruder on a fourth, a client on a fifth. Runs the ETL
/// example, cuts a worker's cable mid-job for longer than the heartbeat timeout (6 s here: long enough to submit
/// and see the lease from another namespace on a loaded machine), and checks the outputs.
@Suite(
    .serialized,
    .enabled(if: NetworkNamespaces.available, "needs root and iproute2 (`ip netns`) to make network namespaces")
)
struct MultiHostTests {
    /// The lab: hosts, keys (coordinator; w1, w2 allowed as workers; c1 allowed as a client; rogue allowed
    /// nowhere), the example's input files, and a coordinator on host "coordinator".
    final class Lab {
        let cluster: ClusterFixture  // for its directory and output helpers; its own processes are not used
        let net: NetworkNamespaces
        let keys: String
        let inputs: [String]
        var coordinator: ChildProcess?
        var children: [ChildProcess] = []
        var workerEndpoint = ""
        var clientEndpoint = ""

        init() async throws {
            cluster = try ClusterFixture()
            net = try NetworkNamespaces(hosts: ["coordinator", "worker1", "worker2", "intruder", "client"])
            keys = cluster.directory.path("keys")
            for name in ["coordinator", "w1", "w2", "c1", "rogue"] {
                _ = try CurveCertificate.generate(name: name, directory: keys)
            }
            for (role, names) in [("workers", ["w1", "w2"]), ("clients", ["c1"])] {
                try FileManager.default.createDirectory(atPath: "\(keys)/\(role)", withIntermediateDirectories: true)
                for name in names { try FileManager.default.copyItem(atPath: "\(keys)/\(name).key", toPath: "\(keys)/\(role)/\(name).key") }
            }
            inputs = try await ETLJobTests.generate(in: cluster.directory)
        }

        func keyArguments(_ identity: String) -> [String] {
            ["--keys-dir", keys, "--key", "\(keys)/\(identity).key_secret"]
        }

        /// Starts the coordinator on its host's address (not loopback: CURVE is what lets it bind there).
        func startCoordinator() async throws {
            let ready = cluster.directory.path("coordinator.ready")
            let address = net.host("coordinator").address
            let child = try net.shoal(
                on: "coordinator",
                ["coordinator", "--state-dir", cluster.directory.path("state"), "--ready-file", ready,
                 "--worker-endpoint", "tcp://\(address):0", "--client-endpoint", "tcp://\(address):0",
                 "--events-endpoint", "tcp://\(address):0", "--heartbeat-interval", "0.2", "--heartbeat-timeout", "6",
                 "--keys-dir", keys, "--log-level", "debug"],
                in: cluster.directory, label: "coordinator")
            coordinator = child
            let started = await waitUntil(timeout: .seconds(30)) { FileManager.default.fileExists(atPath: ready) || !child.isRunning }
            guard started, let data = FileManager.default.contents(atPath: ready),
                  let endpoints = try JSONSerialization.jsonObject(with: data) as? [String: String]
            else { throw FixtureError("the coordinator did not start: \(child.stderr.suffix(2_000))") }
            workerEndpoint = endpoints["workers"] ?? ""
            clientEndpoint = endpoints["clients"] ?? ""
        }

        @discardableResult
        func startWorker(_ id: String, on host: String, key: String) throws -> ChildProcess {
            let child = try net.shoal(
                on: host, ["worker", "--coordinator", workerEndpoint, "--id", id, "--slots", "1", "--log-level", "debug"]
                    + keyArguments(key),
                in: cluster.directory, label: id)
            children.append(child)
            return child
        }

        /// Runs a client command on the client host to completion.
        func client(_ arguments: [String], key: String = "c1", label: String) async throws -> (Int32?, ChildProcess) {
            let child = try net.shoal(
                on: "client", arguments + ["--coordinator", clientEndpoint, "--timeout", "20"] + keyArguments(key),
                in: cluster.directory, label: label)
            return (await child.waitForExit(timeout: .seconds(60)), child)
        }

        /// `shoal status --json` from the client host.
        func status(job: JobID? = nil) async throws -> ClusterStatus {
            let (code, child) = try await client(["status"] + (job.map { ["\($0)"] } ?? []) + ["--json"], label: "status")
            guard code == 0 else { throw FixtureError("shoal status failed: \(child.stderr)") }
            return try JSONDecoder().decode(ClusterStatus.self, from: Data(child.stdout.utf8))
        }

        func waitFor(_ what: String, job: JobID? = nil, timeout: Duration = .seconds(90),
                     _ condition: (ClusterStatus) -> Bool) async throws -> ClusterStatus {
            let clock = ContinuousClock()
            let deadline = clock.now + timeout
            var last: ClusterStatus?
            while clock.now < deadline {
                if let status = try? await status(job: job) {
                    last = status
                    if condition(status) { return status }
                }
                // Each poll starts a process in a namespace: a pause between them leaves the CPUs to the cluster.
                try await Task.sleep(for: .milliseconds(100))
            }
            throw FixtureError("timed out waiting for \(what); last: \(String(describing: last?.jobs.first?.counts)); "
                               + "coordinator: \(coordinator?.stderr.suffix(2_000) ?? "")")
        }

        /// Submits the example job from the client host; returns its id.
        func submit(output: String, aggregate: String, name: String) async throws -> JobID {
            let path = cluster.directory.path(name)
            try ETLJobTests.job(output: output, aggregate: aggregate).write(toFile: path, atomically: true, encoding: .utf8)
            let (code, child) = try await client(["submit", path], label: "submit")
            // "job N" on the first line.
            guard code == 0, let line = child.stdout.split(separator: "\n").first,
                  let id = JobID(line.split(separator: " ").dropFirst().first ?? "")
            else { throw FixtureError("submit failed (\(String(describing: code))): \(child.stdout) \(child.stderr)") }
            return id
        }

        deinit {
            for child in children { child.signal(SIGKILL) }
            coordinator?.signal(SIGKILL)
        }
    }

    @Test(.timeLimit(.minutes(5)))
    func aClusterAcrossHostsSurvivesACutCableAndKeepsIntrudersOut() async throws {
        let lab = try await Lab()
        let reference = try ETLJobTests.Reference(files: lab.inputs)
        try await lab.startCoordinator()
        #expect(!lab.workerEndpoint.contains("127.0.0.1"))

        // Another host checks the path: reachability, the CURVE handshake as c1, the protocol version.
        let (doctorCode, doctor) = try await lab.client(["doctor"], label: "doctor")
        #expect(doctorCode == 0, "\(doctor.stdout)")
        #expect(doctor.stdout.contains("CURVE handshake with \(lab.clientEndpoint) as c1"), "\(doctor.stdout)")
        #expect(doctor.stdout.contains("is a Shoal coordinator"))

        try lab.startWorker("worker1", on: "worker1", key: "w1")
        let worker2 = try lab.startWorker("worker2", on: "worker2", key: "w2")
        let intruder = try lab.startWorker("intruder", on: "intruder", key: "rogue")
        _ = try await lab.waitFor("both workers to register") { Set($0.workers.map(\.id)) == ["worker1", "worker2"] }
        #expect(await waitUntil(timeout: .seconds(30)) { intruder.stderr.contains("refused rogue") },
                "the intruder is refused at the handshake: \(intruder.stderr.suffix(1_000))")

        // A client holding a worker's key cannot submit.
        let sneaky = lab.cluster.directory.path("sneaky.yaml")
        try "kind: noop\nname: sneaky\ntasks: 1\n".write(toFile: sneaky, atomically: true, encoding: .utf8)
        let (sneakyCode, sneakyChild) = try await lab.client(["submit", sneaky], key: "w1", label: "sneaky")
        #expect(sneakyCode == 1)
        #expect(sneakyChild.stderr.contains("refused w1") && sneakyChild.stderr.contains("as a client"), "\(sneakyChild.stderr)")

        // The example job; worker2's cable is cut while it holds a shard, for longer than the heartbeat timeout.
        // Shards take milliseconds, so worker2 is paused (SIGSTOP) before the job is submitted: the coordinator
        // leases it a shard it cannot finish, the cable is cut, and only then does worker2 go on — cut off.
        worker2.signal(SIGSTOP)
        let job = try await lab.submit(output: "out/cut", aggregate: "out/cut.csv", name: "cut.yaml")
        let held = try await lab.waitFor("worker2 to be leased a shard", job: job) { status in
            status.jobs.first?.running.contains { $0.worker == "worker2" } == true
        }
        #expect(held.jobs.first?.record.state.isTerminal == false, "the cable is cut mid-job")
        try lab.net.setCable(of: "worker2", connected: false)
        worker2.signal(SIGCONT)
        _ = try await lab.waitFor("the coordinator to give worker2 up") { !$0.workers.contains { $0.id == "worker2" } }
        try lab.net.setCable(of: "worker2", connected: true)
        let cut = try await lab.waitFor("the job to finish", job: job) { $0.jobs.first?.record.state.isTerminal == true }
        let final = try #require(cut.jobs.first)
        #expect(final.record.state == .succeeded, "\(final)")
        #expect(final.troubles.contains { $0.worker == "worker2" }, "worker2's lost attempt is on record")
        let cutFiles = try ETLJobTests.check(lab.cluster, output: "out/cut", aggregate: "out/cut.csv", reference: reference)

        // worker2 comes back by itself; a run on the healed network writes the same bytes.
        _ = try await lab.waitFor("worker2 to rejoin") { status in status.workers.contains { $0.id == "worker2" } }
        let calmJob = try await lab.submit(output: "out/calm", aggregate: "out/calm.csv", name: "calm.yaml")
        let calm = try await lab.waitFor("the second job to finish", job: calmJob) { $0.jobs.first?.record.state.isTerminal == true }
        #expect(calm.jobs.first?.record.state == .succeeded)
        let calmFiles = try ETLJobTests.check(lab.cluster, output: "out/calm", aggregate: "out/calm.csv", reference: reference)
        #expect(cutFiles == calmFiles, "a cut cable costs a retry, never a byte of output")

        let security = try #require(try await lab.status().coordinator.security)
        #expect(security.mode == "curve" && security.refusedHandshakes >= 2, "\(security)")
        #expect(lab.coordinator?.stderr.contains("peer=10.77.0.4") == true, "the intruder's address is logged")
    }
}
