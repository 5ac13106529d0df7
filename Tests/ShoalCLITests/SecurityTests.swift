import Foundation
import ShoalClient
import ShoalCore
import ShoalTestSupport
import Testing
import ZeroMQ

/// CURVE between real `shoal` processes on loopback: allow-lists per role, refusals with their reasons, revocation
/// by SIGHUP, and the refusal to open a non-loopback endpoint in plaintext.
@Suite struct SecurityTests {
    /// A fixture whose coordinator requires CURVE, with keys: coordinator, w1 and w2 (workers), c1 (client) and
    /// rogue (allowed nowhere). The fixture's own client presents c1.
    func securedCluster() throws -> (ClusterFixture, keys: String) {
        let cluster = try ClusterFixture()
        let keys = cluster.directory.path("keys")
        for name in ["coordinator", "w1", "w2", "c1", "rogue"] { _ = try CurveCertificate.generate(name: name, directory: keys) }
        for (role, names) in [("workers", ["w1", "w2"]), ("clients", ["c1"])] {
            try FileManager.default.createDirectory(atPath: keys + "/" + role, withIntermediateDirectories: true)
            for name in names { try FileManager.default.copyItem(atPath: "\(keys)/\(name).key", toPath: "\(keys)/\(role)/\(name).key") }
        }
        cluster.coordinatorArguments = ["--keys-dir", keys, "--curve", "on"]
        cluster.clientSecurity = try Self.security(keys: keys, identity: "c1", role: .client)
        return (cluster, keys)
    }

    static func security(keys: String, identity: String, role: PeerRole) throws -> ClientSecurity {
        var settings = Settings()
        settings.curve = .on
        settings.keysDirectory = keys
        settings.identityKey = "\(keys)/\(identity).key_secret"
        return try ClientSecurity.resolve(settings, role: role)
    }

    static func workerKeys(_ keys: String, _ name: String) -> [String] {
        ["--keys-dir", keys, "--key", "\(keys)/\(name).key_secret"]
    }

    @Test(.timeLimit(.minutes(3)))
    func allowedKeysRunAJobWhileUnknownKeysAndPlaintextAreRefused() async throws {
        let (cluster, keys) = try securedCluster()
        try await cluster.startCoordinator()
        try await cluster.startWorker("good", extra: Self.workerKeys(keys, "w1"))
        let rogue = try await cluster.startWorker("rogue", extra: Self.workerKeys(keys, "rogue"), waitForRegistration: false)
        let plain = try await cluster.startWorker("plain", extra: ["--curve", "off"], waitForRegistration: false)
        // Each says why it cannot get in.
        #expect(await waitUntil(timeout: .seconds(30)) { rogue.stderr.contains("refused rogue") })
        #expect(rogue.stderr.contains("workers/ directory"), "\(rogue.stderr.suffix(1_000))")
        #expect(await waitUntil(timeout: .seconds(30)) { plain.stderr.contains("the coordinator requires CURVE") },
                "\(plain.stderr.suffix(1_000))")

        let job = try await cluster.submit("kind: noop\nname: secured\ntasks: 40\n")
        let final = try await cluster.waitForEnd(of: job)
        #expect(final.record.state == .succeeded)
        #expect(final.counts.succeeded == 40)

        let client = try await cluster.client()
        let status = try await client.status()
        await client.close()
        #expect(status.workers.map(\.id) == ["good"], "only the allowed worker registered")
        let security = try #require(status.coordinator.security)
        #expect(security.mode == "curve")
        #expect(security.allowed == ["worker": 2, "client": 1])
        #expect(security.refusedHandshakes >= 1, "the rogue key was not counted")
        #expect(security.failedHandshakes >= 1, "the plaintext worker was not counted")
        let log = cluster.coordinator?.stderr ?? ""
        let rogueFingerprint = try CurveCertificate.read(path: "\(keys)/rogue.key").publicKey.fingerprint
        #expect(log.contains("refused a handshake") && log.contains(rogueFingerprint) && log.contains("127.0.0.1"),
                "the refusal is logged with the key's fingerprint and the peer's address")
    }

    @Test(.timeLimit(.minutes(3)))
    func aWorkerKeyCannotActAsAClientNorAClientKeyAsAWorker() async throws {
        let (cluster, keys) = try securedCluster()
        try await cluster.startCoordinator()
        let impostor = try await CoordinatorClient(
            endpoint: cluster.clientEndpoint, context: try Context(),
            security: try Self.security(keys: keys, identity: "w1", role: .client))
        await #expect {
            _ = try await impostor.submit(
                jobFile: "kind: noop\nname: sneaky\ntasks: 1\n", source: "sneaky.yaml",
                workingDirectory: cluster.directory.path, timeout: .seconds(30))
        } throws: { error in
            "\(error)".contains("refused w1") && "\(error)".contains("as a client")
        }
        await impostor.close()

        // Through the CLI as well: exit status 1 and the reason.
        let job = cluster.directory.path("job.yaml")
        try "kind: noop\nname: sneaky\ntasks: 1\n".write(toFile: job, atomically: true, encoding: .utf8)
        let submit = try ChildProcess(
            try BuiltProducts.shoal,
            ["submit", job, "--coordinator", cluster.clientEndpoint, "--timeout", "30"] + Self.workerKeys(keys, "w1"),
            in: cluster.directory, name: "submit")
        #expect(await submit.waitForExit(timeout: .seconds(60)) == 1)
        #expect(submit.stderr.contains("refused w1"), "\(submit.stderr)")

        let clientAsWorker = try await cluster.startWorker(
            "c1-as-worker", extra: Self.workerKeys(keys, "c1"), waitForRegistration: false)
        #expect(await waitUntil(timeout: .seconds(30)) { clientAsWorker.stderr.contains("refused c1") })

        let client = try await cluster.client()
        let status = try await client.status()
        await client.close()
        #expect(status.jobs.isEmpty, "a job was accepted from a worker key")
        #expect(status.workers.isEmpty, "a client key registered as a worker")
    }

    @Test(.timeLimit(.minutes(3)))
    func aRevokedWorkerIsDisconnectedAtOnceAndTheJobCompletesWithoutIt() async throws {
        let (cluster, keys) = try securedCluster()
        try await cluster.startCoordinator()
        let revoked = try await cluster.startWorker("revoked", slots: 1, extra: Self.workerKeys(keys, "w1"))
        try await cluster.startWorker("kept", slots: 1, extra: Self.workerKeys(keys, "w2"))
        let job = try await cluster.submit("kind: noop\nname: long\ntasks: 30\nsleep_ms: 100\nspeculation: false\n")
        try await cluster.waitFor("both workers running tasks", job: job) { status in
            Set(status.jobs.first?.running.map(\.worker) ?? []) == ["revoked", "kept"]
        }

        try FileManager.default.removeItem(atPath: "\(keys)/workers/w1.key")
        cluster.coordinator?.signal(SIGHUP)
        try await cluster.waitFor("the revoked worker's connection to be shut down") { status in
            (status.coordinator.security?.revokedDisconnects ?? 0) >= 1 && status.coordinator.security?.allowed["worker"] == 1
        }
        #expect(await waitUntil(timeout: .seconds(30)) { revoked.stderr.contains("refused w1") },
                "the revoked worker cannot handshake again: \(revoked.stderr.suffix(1_000))")

        let final = try await cluster.waitForEnd(of: job)
        #expect(final.record.state == .succeeded)
        #expect(final.counts.succeeded == 30)
        // Its last task may have ended before it was cut off, so the job need not wait for its lease to lapse:
        // the coordinator forgets it once it has been silent for the heartbeat timeout.
        try await cluster.waitFor("the revoked worker to be forgotten") { status in status.workers.map(\.id) == ["kept"] }
        #expect(cluster.coordinator?.stderr.contains("keys reloaded") == true)
    }

    @Test(.timeLimit(.minutes(3)))
    func keysReloadLetsANewWorkerInAndRefusesADamagedList() async throws {
        let (cluster, keys) = try securedCluster()
        try await cluster.startCoordinator()
        func reload(_ identity: String = "c1") async throws -> (Int32?, ChildProcess) {
            let child = try ChildProcess(
                try BuiltProducts.shoal,
                ["keys", "reload", "--coordinator", cluster.clientEndpoint, "--timeout", "30"] + Self.workerKeys(keys, identity),
                in: cluster.directory, name: "keys-reload")
            return (await child.waitForExit(timeout: .seconds(60)), child)
        }
        let newcomer = try await cluster.startWorker("newcomer", extra: Self.workerKeys(keys, "rogue"), waitForRegistration: false)
        #expect(await waitUntil(timeout: .seconds(30)) { newcomer.stderr.contains("refused rogue") })

        try FileManager.default.copyItem(atPath: "\(keys)/rogue.key", toPath: "\(keys)/workers/rogue.key")
        let (code, output) = try await reload()
        #expect(code == 0, "\(output.stderr)")
        #expect(output.stdout.contains("3 worker and 1 client keys allowed") && output.stdout.contains("added: rogue"),
                "\(output.stdout)")
        // The refused worker keeps reconnecting; now it gets in, without a restart of either side.
        try await cluster.waitFor("the newly allowed worker to register") { $0.workers.contains { $0.id == "newcomer" } }

        // A damaged file: the reload fails naming it, and the lists in force stay.
        try "curve\n    public-key = \"short\"\n".write(toFile: "\(keys)/workers/bad.key", atomically: true, encoding: .utf8)
        let (damaged, damagedOutput) = try await reload()
        #expect(damaged == 1)
        #expect(damagedOutput.stderr.contains("workers/bad.key:2"), "\(damagedOutput.stderr)")
        let client = try await cluster.client()
        let status = try await client.status()
        await client.close()
        #expect(status.coordinator.security?.allowed["worker"] == 3)

        // Only client keys may ask.
        let (asWorker, asWorkerOutput) = try await reload("w1")
        #expect(asWorker == 1 && asWorkerOutput.stderr.contains("refused w1"))
    }

    @Test(.timeLimit(.minutes(2)))
    func keysReloadOnAPlaintextCoordinatorSaysThereIsNothingToReload() async throws {
        let cluster = try ClusterFixture()
        try await cluster.startCoordinator()
        let child = try ChildProcess(
            try BuiltProducts.shoal, ["keys", "reload", "--coordinator", cluster.clientEndpoint, "--curve", "off"],
            in: cluster.directory, name: "keys-reload")
        #expect(await child.waitForExit(timeout: .seconds(60)) == 1)
        #expect(child.stderr.contains("runs without CURVE"), "\(child.stderr)")
    }

    @Test(.timeLimit(.minutes(2)))
    func doctorAndWatchReportTheCurveHandshakeAndWhyItFails() async throws {
        let (cluster, keys) = try securedCluster()
        try await cluster.startCoordinator()
        func doctor(_ identity: String) async throws -> (Int32?, String) {
            let child = try ChildProcess(
                try BuiltProducts.shoal,
                ["doctor", "--coordinator", cluster.clientEndpoint, "--timeout", "20"] + Self.workerKeys(keys, identity),
                in: cluster.directory, name: "doctor-\(identity)")
            return (await child.waitForExit(timeout: .seconds(60)), child.stdout)
        }
        let (ok, okText) = try await doctor("c1")
        #expect(ok == 0, "\(okText)")
        #expect(okText.contains("[ok  ] CURVE handshake with \(cluster.clientEndpoint) as c1"), "\(okText)")
        let (refused, refusedText) = try await doctor("rogue")
        #expect(refused == 1)
        #expect(refusedText.contains("CURVE handshake") && refusedText.contains("refused rogue"), "\(refusedText)")

        // `shoal watch` with a key the coordinator refuses says so and ends, rather than waiting for nothing.
        let watch = try ChildProcess(
            try BuiltProducts.shoal, ["watch", "--events", cluster.eventsEndpoint] + Self.workerKeys(keys, "rogue"),
            in: cluster.directory, name: "watch-rogue")
        #expect(await watch.waitForExit(timeout: .seconds(60)) == 1)
        #expect(watch.stderr.contains("refused rogue"), "\(watch.stderr)")
    }

    /// `shoal up` hands its keys flags to the coordinator and to the workers it starts, which present
    /// KEYS/worker.key_secret by default.
    @Test(.timeLimit(.minutes(3)))
    func shoalUpRunsALocalClusterWithCurve() async throws {
        let directory = try TemporaryDirectory(prefix: "shoal-up-curve")
        let keys = directory.path("keys")
        for name in ["coordinator", "worker", "client"] { _ = try CurveCertificate.generate(name: name, directory: keys) }
        for (role, name) in [("workers", "worker"), ("clients", "client")] {
            try FileManager.default.createDirectory(atPath: "\(keys)/\(role)", withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: "\(keys)/\(name).key", toPath: "\(keys)/\(role)/\(name).key")
        }
        let state = directory.path("state")
        let up = try ChildProcess(
            try BuiltProducts.shoal,
            ["up", "--workers", "2", "--slots", "1", "--state-dir", state, "--worker-endpoint", "tcp://127.0.0.1:0",
             "--client-endpoint", "tcp://127.0.0.1:0", "--events-endpoint", "tcp://127.0.0.1:0",
             "--keys-dir", keys, "--curve", "on"],
            in: directory, name: "up")
        let ready = state + "/logs/coordinator.ready"
        #expect(await waitUntil(timeout: .seconds(60)) { FileManager.default.fileExists(atPath: ready) || !up.isRunning },
                "\(up.stderr)")
        let data = try #require(FileManager.default.contents(atPath: ready), "no ready file: \(up.stderr)")
        let endpoints = try #require(try JSONSerialization.jsonObject(with: data) as? [String: String])
        let client = try await CoordinatorClient(
            endpoint: try #require(endpoints["clients"]), context: try Context(),
            security: try Self.security(keys: keys, identity: "client", role: .client))
        var registered = 0
        let deadline = ContinuousClock.now + .seconds(60)
        while registered < 2, ContinuousClock.now < deadline {
            registered = (try? await client.status(timeout: .seconds(5)).workers.count) ?? 0
            if registered < 2 { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(registered == 2, "the workers `shoal up` started did not register with CURVE on: \(up.stderr)")
        let accepted = try await client.submit(
            jobFile: "kind: noop\nname: up\ntasks: 20\n", source: "up.yaml", workingDirectory: directory.path)
        var final: JobStatus?
        while final == nil, ContinuousClock.now < deadline + .seconds(60) {
            let job = try? await client.status(job: accepted.jobID, timeout: .seconds(5)).jobs.first
            if job?.record.state.isTerminal == true { final = job } else { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(final?.record.state == .succeeded && final?.counts.succeeded == 20, "\(String(describing: final))")
        #expect(try await client.status().coordinator.security?.mode == "curve")
        await client.close()
        up.signal(SIGTERM)
        #expect(await up.waitForExit(timeout: .seconds(60)) != nil, "shoal up did not stop on SIGTERM")
        // It stopped its coordinator too (its pid is in the ready file; a zombie would have been reaped by up).
        let coordinatorPID = try #require(endpoints["pid"].flatMap { Int32($0) })
        #expect(await waitUntil(timeout: .seconds(30)) { kill(coordinatorPID, 0) != 0 }, "the coordinator outlived shoal up")
    }

    @Test(.timeLimit(.minutes(1)))
    func aCoordinatorWillNotOpenANonLoopbackAddressInPlaintext() async throws {
        let directory = try TemporaryDirectory(prefix: "shoal-insecure")
        // Refused before anything binds: the test never listens beyond loopback.
        let child = try ChildProcess(
            try BuiltProducts.shoal,
            ["coordinator", "--state-dir", directory.path("state"), "--worker-endpoint", "tcp://0.0.0.0:0",
             "--client-endpoint", "tcp://127.0.0.1:0", "--events-endpoint", "tcp://127.0.0.1:0",
             "--keys-dir", directory.path("none")],
            in: directory, name: "coordinator")
        #expect(await child.waitForExit(timeout: .seconds(30)) == 1)
        #expect(child.stderr.contains("refusing to bind tcp://0.0.0.0:0 without CURVE"), "\(child.stderr)")
        #expect(child.stderr.contains("--insecure"))
        #expect(!FileManager.default.fileExists(atPath: directory.path("state")), "state was created before the refusal")
    }
}
