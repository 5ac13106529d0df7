import Foundation
import ShoalClient
import ShoalCore
import ShoalProtocol
import ShoalTestSupport
import Testing
import ZeroMQ

/// What issue 3 promises about bad input and unfriendly peers, against real `shoal` processes on loopback: garbage,
/// wrong versions and oversized frames at the coordinator's sockets, SIGTERM on a busy worker, the event stream,
/// and bad job files at submit. Serialized, and so are the suites nested in it: each test starts a cluster, and
/// the machine has two cores.
@Suite(.serialized) struct RobustnessTests {
    static let garbageSeed: UInt64 = 0x6A5B_A6E0_0001

    /// A `noop` job of `tasks` tasks that each sleep `sleepMs`.
    static func noopJob(name: String, tasks: Int, sleepMs: Int, extra: String = "speculation: false") -> String {
        """
        kind: noop
        name: \(name)
        tasks: \(tasks)
        sleep_ms: \(sleepMs)
        \(extra)
        """
    }

    // MARK: - Garbage

    @Test func tenThousandGarbageMessagesDoNotStopAConcurrentJob() async throws {
        let cluster = try ClusterFixture()
        try await cluster.startCoordinator()
        try await cluster.startWorker("w1", slots: 2)
        try await cluster.startWorker("w2", slots: 2)
        // 200 tasks × 100 ms over 4 slots: at least 5 s, longer than the garbage takes to send and answer.
        let job = try await cluster.submit(Self.noopJob(name: "under-fire", tasks: 200, sleepMs: 100))
        try await cluster.waitFor("the job to run", job: job) { ($0.jobs.first?.counts.running ?? 0) > 0 }

        let context = try Context()
        let workerPeers = [
            try await RawPeer.dealer(connecting: cluster.workerEndpoint, context: context),
            try await RawPeer.dealer(connecting: cluster.workerEndpoint, context: context),
        ]
        let clientPeers = [
            try await RawPeer.dealer(connecting: cluster.clientEndpoint, context: context),
            try await RawPeer.dealer(connecting: cluster.clientEndpoint, context: context),
        ]
        var workerGarbage = GarbageMaker(seed: Self.garbageSeed, templates: GarbageMaker.workerTemplates())
        var clientGarbage = GarbageMaker(seed: Self.garbageSeed ^ 0xC11E, templates: GarbageMaker.clientTemplates())
        let perEndpoint = 5_000
        let started = ContinuousClock.now
        for index in 0..<perEndpoint {
            workerPeers[index % 2].send(rawFrames(workerGarbage.message(index)))
            clientPeers[index % 2].send(rawFrames(clientGarbage.message(index)))
        }
        // Each connection's messages are handled in order, so a PONG to a PING sent after the garbage proves the
        // coordinator has read every garbage message on that connection.
        let peers = workerPeers + clientPeers
        for (index, peer) in peers.enumerated() {
            peer.send(Ping(nonce: 0xF1_0000 + UInt64(index), sender: "after the garbage"))
        }
        let coordinator = try #require(cluster.coordinator)
        for (index, peer) in peers.enumerated() {
            let pong = await peer.waitForReply(within: .seconds(60), unless: { !coordinator.isRunning }) {
                if case .pong(let pong) = $0 { pong.nonce == 0xF1_0000 + UInt64(index) } else { false }
            }
            #expect(pong != nil || !coordinator.isRunning, "peer \(index): no PONG after the garbage")
        }
        let garbageHandled = Date().timeIntervalSince1970
        let garbageTook = started.duration(to: .now)
        let crash = coordinator.isRunning ? "" : Self.crashReport(coordinator.stderr)
        try #require(coordinator.isRunning, "the coordinator died under garbage (seed \(Self.garbageSeed)): \(crash)")

        // The coordinator read the garbage and answered it: every reply is a well-formed Shoal message.
        var codes: [String: Int] = [:]
        var replies = 0
        var undecodable = 0
        for peer in peers {
            for reply in peer.messages {
                replies += 1
                switch try? ShoalCodec.decode(reply) {
                case .error(let error): codes["\(error.code)", default: 0] += 1
                case .pong, .statusReport: break
                case .some(let other): Issue.record("the coordinator answered garbage with \(other.type)")
                case nil: undecodable += 1
                }
            }
        }
        #expect(undecodable == 0, "replies that are not Shoal messages: \(undecodable)")
        #expect(replies >= perEndpoint, "only \(replies) replies to \(2 * perEndpoint) garbage messages: \(codes)")
        for code in ["malformed", "unsupported-version", "unknown-type", "too-large", "not-registered"] {
            #expect(codes[code, default: 0] > 0, "no ERROR \(code) among the replies (seed \(Self.garbageSeed)): \(codes)")
        }

        // A malformed client request gets ERROR; a valid STATUS on the same connection afterwards gets its report.
        let probe = try await RawPeer.dealer(connecting: cluster.clientEndpoint, context: context)
        let status = ShoalCodec.encode(StatusRequest(requestID: 4_242, jobID: job))
        probe.send([status[0], Frame(status[1].bytes.prefix(5))])
        let refusal = await probe.waitForReply(within: .seconds(10)) { if case .error = $0 { true } else { false } }
        guard case .error(let error) = try #require(refusal, "no ERROR for a truncated STATUS") else { return }
        #expect(error.code == .malformed, "\(error)")
        #expect(error.inReplyTo == MessageType.status.rawValue, "\(error)")
        #expect(!error.message.isEmpty)
        probe.send(StatusRequest(requestID: 4_242, jobID: job))
        let answer = await probe.waitForReply(within: .seconds(10)) {
            if case .statusReport(let report) = $0 { report.requestID == 4_242 } else { false }
        }
        guard case .statusReport(let report) = try #require(answer, "no STATUS-REPORT after the malformed request")
        else { return }
        let document = try JSONDecoder().decode(ClusterStatus.self, from: Data(report.document.bytes))
        #expect(document.jobs.map(\.record.id) == [job])

        let final = try await cluster.waitForEnd(of: job)
        #expect(final.record.state == .succeeded, "\(final)")
        #expect(final.counts.succeeded == 200)
        #expect(final.retries == 0, "garbage cost attempts: \(final.troubles)")
        #expect(final.troubles.isEmpty, "\(final.troubles)")
        let finishedAt = try #require(final.record.finishedAt)
        #expect(finishedAt > garbageHandled,
                "the job ended before the garbage was handled (took \(garbageTook)): nothing ran concurrently")
        let workers = try await Self.status(of: cluster).workers.map(\.id)
        #expect(Set(workers) == ["w1", "w2"], "the real workers stay registered: \(workers)")
        for peer in peers + [probe] { await peer.close() }
    }

    /// Ids are u64 on the wire; one that does not fit SQLite's signed 64-bit integer is a job that does not exist.
    /// (Found by the garbage test: a mutated STATUS or CANCEL-JOB with the top bit set.)
    @Test(arguments: [
        ("STATUS of job 2^63", StatusRequest(requestID: 71, jobID: 1 << 63) as any WireMessage),
        ("STATUS of task 2^63", StatusRequest(requestID: 72, jobID: 0, taskID: 1 << 63) as any WireMessage),
        ("CANCEL-JOB of job 2^63", CancelJob(requestID: 73, jobID: 1 << 63, reason: "huge") as any WireMessage),
    ])
    func aRequestForAnIDAboveInt64MaxIsNotFoundNotACrash(_ name: String, _ request: any WireMessage) async throws {
        let cluster = try ClusterFixture()
        try await cluster.startCoordinator()
        let peer = try await RawPeer.dealer(connecting: cluster.clientEndpoint, context: try Context())
        peer.send(ShoalCodec.encode(request))
        let coordinator = try #require(cluster.coordinator)
        let reply = await peer.waitForReply(within: .seconds(10), unless: { !coordinator.isRunning }) { _ in true }
        try #require(coordinator.isRunning, "\(name): the coordinator died: \(Self.crashReport(coordinator.stderr))")
        guard case .error(let error) = try #require(reply, "\(name): no answer") else {
            Issue.record("\(name): answered \(String(describing: reply?.type)), not ERROR not-found")
            return
        }
        #expect(error.code == .notFound, "\(name): \(error)")
        peer.send(StatusRequest(requestID: 74))
        #expect(await peer.waitForReply(within: .seconds(10)) {
            if case .statusReport(let report) = $0 { report.requestID == 74 } else { false }
        } != nil, "\(name): the coordinator stopped answering STATUS")
        await peer.close()
    }

    /// Runs `shoal arguments` to completion in `directory` (at most `timeout`).
    static func runShoal(_ arguments: [String], in directory: TemporaryDirectory, timeout: Duration = .seconds(30))
        async throws -> (status: Int32, stdout: String, stderr: String)
    {
        let child = try ChildProcess(
            try BuiltProducts.shoal, arguments, in: directory, currentDirectory: directory.path, name: "cli")
        guard let status = await child.waitForExit(timeout: timeout) else {
            throw FixtureError("shoal \(arguments) did not finish within \(timeout)")
        }
        return (status, child.stdout, child.stderr)
    }

    /// The cluster's status through a client that is closed again.
    static func status(of cluster: ClusterFixture) async throws -> ClusterStatus {
        let client = try await cluster.client()
        defer { Task { await client.close() } }
        return try await client.status(timeout: .seconds(60))
    }

    /// What a Swift runtime crash report says happened, and the crashed thread's frames in Shoal's own code.
    static func crashReport(_ stderr: String) -> String {
        let lines = stderr.split(separator: "\n")
        guard let fatal = lines.firstIndex(where: { $0.contains("Fatal error") || $0.contains("Program crashed") })
        else { return "no crash report; stderr ends: \(stderr.suffix(1_500))" }
        let thread = lines[fatal...].firstIndex { $0.hasPrefix("Thread ") && $0.hasSuffix("crashed:") } ?? fatal
        let frames = lines[thread...].prefix(60).filter { $0.contains("/Sources/") }.prefix(6)
        return ([lines[fatal]] + frames.map { $0.trimmingCharacters(in: .whitespaces)[...] }).joined(separator: "\n")
    }

    // MARK: - Versions

    @Test func aHelloOfAnotherProtocolVersionIsRefusedWithBothRanges() async throws {
        let cluster = try ClusterFixture()
        try await cluster.startCoordinator()
        let context = try Context()
        let ours = ProtocolVersion.supported
        // A newer worker (7…9) and an older one (0…0); each HELLO encoded in its min_version, as section 5.1 says.
        // A version 1 or 2 worker's HELLO ends before the shared-memory probe (added in version 3): it too must
        // decode, and be refused for its versions, not as malformed.
        for (id, range) in [("from-the-future", UInt8(7)...UInt8(9)), ("from-the-past", UInt8(0)...UInt8(0)),
                            ("from-version-2", UInt8(1)...UInt8(2))] {
            let peer = try await RawPeer.dealer(connecting: cluster.workerEndpoint, routingID: id, context: context)
            var frames = ShoalCodec.encode(
                Hello(minVersion: range.lowerBound, maxVersion: range.upperBound, workerID: id, host: "test",
                      pid: 1, slots: 2, cores: 2, memoryBytes: 1 << 30, software: "shoal 9.9.9", kinds: ["noop"]),
                version: range.lowerBound)
            if range.upperBound < 3 && range.upperBound > 0 {
                frames[1] = Frame(Array(frames[1].bytes.dropLast(4 + 16)))  // the probe's empty name and its nonce
            }
            peer.send(frames)
            let reply = await peer.waitForReply(within: .seconds(10)) { _ in true }
            guard case .error(let error) = try #require(reply, "\(id): no answer to its HELLO") else {
                Issue.record("\(id): a HELLO of versions \(range) was answered \(String(describing: reply))")
                continue
            }
            #expect(error.code == .unsupportedVersion, "\(id): \(error)")
            #expect(error.inReplyTo == MessageType.hello.rawValue)
            #expect(error.minVersion == ours.lowerBound && error.maxVersion == ours.upperBound,
                    "the ERROR carries the coordinator's range: \(error)")
            for version in [range.lowerBound, range.upperBound, ours.lowerBound, ours.upperBound] {
                #expect(error.message.contains("\(version)"), "\(id): the message names version \(version): \(error.message)")
            }
            await peer.close()
        }
        let workers = try await Self.status(of: cluster).workers
        #expect(workers.isEmpty, "a refused worker is not registered: \(workers.map(\.id))")
    }

    /// A real `shoal worker` connected to a ROUTER the test drives as its coordinator, and the HELLO it sent.
    func workerOfAFakeCoordinator(_ id: String, environment: [String: String] = [:]) async throws
        -> (fake: RawPeer, worker: ChildProcess, hello: [Frame], directory: TemporaryDirectory)
    {
        let directory = try TemporaryDirectory(prefix: "shoal-fake")
        let fake = try await RawPeer.router(context: try Context())
        let worker = try ChildProcess(
            try BuiltProducts.shoal, ["worker", "--coordinator", fake.endpoint, "--id", id, "--slots", "1"],
            in: directory, environment: ProcessInfo.processInfo.environment.merging(environment) { $1 }, name: id)
        let hello = try #require(await fake.waitForMessage(within: .seconds(30)) { frames in
            guard frames.count >= 3, case .hello = try? ShoalCodec.decode(frames.dropFirst()) else { return false }
            return true
        }, "the worker sent no HELLO to the fake coordinator; stderr: \(worker.stderr)")
        return (fake, worker, hello, directory)
    }

    @Test func aWorkerRefusedForItsVersionPrintsWhyAndExitsNonZero() async throws {
        let (fake, worker, hello, directory) = try await workerOfAFakeCoordinator("w-old")
        defer { withExtendedLifetime(directory) {} }
        #expect(hello[0].utf8String == "w-old", "a worker's routing id is its id")
        let reason = "no common protocol version: the worker speaks 1…1, this coordinator speaks 8…8"
        fake.send([hello[0]] + ShoalCodec.encode(ErrorReply(
            code: .unsupportedVersion, inReplyTo: MessageType.hello.rawValue, message: reason,
            minVersion: 8, maxVersion: 8)))
        let status = try #require(await worker.waitForExit(timeout: .seconds(20)),
                                  "the refused worker keeps running; stderr: \(worker.stderr)")
        #expect(status != 0)
        #expect(!worker.wasSignalled)
        #expect((worker.stderr + worker.stdout).contains(reason), "it prints the reason: \(worker.stderr)")
        await fake.close()
    }

    /// A worker that hears nothing for its heartbeat timeout reconnects and says HELLO again over the new
    /// connection, so the WELCOME comes back on it and the worker is registered (it heartbeats).
    @Test func aWorkerThatReconnectsSaysHelloOverTheNewConnection() async throws {
        let (fake, worker, first, directory) = try await workerOfAFakeCoordinator(
            "w-again", environment: ["SHOAL_HEARTBEAT_INTERVAL": "0.1", "SHOAL_HEARTBEAT_TIMEOUT": "1"])
        defer { withExtendedLifetime(directory) {} }
        // Unanswered: after a second of silence the worker reconnects.
        let start = fake.messages.count
        let again = try #require(await fake.waitForMessage(from: start, within: .seconds(30), unless: { !worker.isRunning }) { frames in
            guard frames.count >= 3, case .hello = try? ShoalCodec.decode(frames.dropFirst()) else { return false }
            return true
        }, "no second HELLO; stderr: \(worker.stderr.suffix(2_000))")
        #expect(again[0] == first[0])
        #expect(worker.stderr.contains("reconnecting"), "\(worker.stderr.suffix(2_000))")
        let welcomed = fake.messages.count
        fake.send([again[0]] + ShoalCodec.encode(Welcome(
            version: ProtocolVersion.current, coordinatorID: "fake", epoch: 1, heartbeatIntervalMs: 100,
            heartbeatTimeoutMs: 30_000, maxPayloadFrameBytes: UInt64(ProtocolLimits.standard.maxPayloadFrameBytes))))
        let heartbeat = await fake.waitForMessage(from: welcomed, within: .seconds(30), unless: { !worker.isRunning }) { frames in
            guard case .heartbeat? = try? ShoalCodec.decode(frames.dropFirst()) else { return false }
            return true
        }
        #expect(heartbeat != nil, "the WELCOME did not register the worker; stderr: \(worker.stderr.suffix(2_000))")
        worker.signal(SIGKILL)
        _ = await worker.waitForExit(timeout: .seconds(20))
        await fake.close()
    }

    @Test func aWorkerAnswersACancelForAnAttemptItNeverHadSoItsSlotIsFreed() async throws {
        let (fake, worker, hello, directory) = try await workerOfAFakeCoordinator("w-cancel")
        defer { withExtendedLifetime(directory) {} }
        fake.send([hello[0]] + ShoalCodec.encode(Welcome(
            version: ProtocolVersion.current, coordinatorID: "fake", epoch: 1, heartbeatIntervalMs: 1_000,
            heartbeatTimeoutMs: 30_000, maxPayloadFrameBytes: UInt64(ProtocolLimits.standard.maxPayloadFrameBytes))))
        // An attempt whose TASK the worker never got (lost with a dropped connection), then cancelled as hung.
        let lost = TaskRef(taskID: 41, attempt: 2)
        let start = fake.messages.count
        fake.send([hello[0]] + ShoalCodec.encode(CancelTasks(tasks: [lost], reason: "hung")))
        let answer = await fake.waitForMessage(from: start, within: .seconds(30), unless: { !worker.isRunning }) { frames in
            guard case .result(let batch)? = try? ShoalCodec.decode(frames.dropFirst()) else { return false }
            return batch.results.contains { $0.task == lost }
        }
        let frames = try #require(answer, "no RESULT for the cancelled attempt; stderr: \(worker.stderr)")
        guard case .result(let batch) = try ShoalCodec.decode(frames.dropFirst()) else { return }
        let result = try #require(batch.results.first { $0.task == lost })
        #expect(result.outcome == .cancelled, "\(result)")
        #expect(result.error.contains("not running on this worker"), "\(result.error)")
        worker.signal(SIGKILL)
        _ = await worker.waitForExit(timeout: .seconds(20))
        await fake.close()
    }

    // MARK: - Oversized

    @Test func aFrameAboveTheMaximumMessageSizeIsDroppedAndTheCoordinatorServesOn() async throws {
        let cluster = try ClusterFixture()
        try await cluster.startCoordinator()
        try await cluster.startWorker("w1", slots: 1)
        let port = try #require(cluster.workerEndpoint.split(separator: ":").last.flatMap { UInt16($0) })
        // The coordinator's ZMQ_MAXMSGSIZE (Coordinator.start): the payload frame limit plus 1 MiB for the body.
        let maximum = UInt64(ProtocolLimits.standard.maxPayloadFrameBytes) + (1 << 20)
        let (pong, dropped) = try await onOwnThread { () throws -> ([[UInt8]], Bool) in
            let connection = try RawZMTPConnection(port: port, timeoutMs: 10_000)
            try connection.handshake()
            // First a well-formed PING over the hand-made framing, so the test proves the framing is right...
            let ping = ShoalCodec.encode(Ping(nonce: 99, sender: "raw zmtp")).map(\.bytes)
            try connection.sendMessage(ping)
            let pong = try connection.receiveMessage()
            // ...then a frame one byte above the limit: libzmq must drop the connection on reading its size.
            try connection.writeFrameHeader(size: maximum + 1, more: false)
            return (pong, try connection.peerCloses())
        }
        guard case .pong(let reply) = try ShoalCodec.decode(rawFrames(pong)) else {
            Issue.record("the raw PING was not answered with PONG: \(pong)")
            return
        }
        #expect(reply.nonce == 99)
        #expect(dropped, "the coordinator kept a connection that announced a \(maximum + 1)-byte frame")

        // A body above the protocol's 1 MiB through a normal socket: ERROR too-large, not a crash.
        let context = try Context()
        let peer = try await RawPeer.dealer(connecting: cluster.workerEndpoint, context: context)
        let header = ShoalCodec.encode(Heartbeat())[0]
        peer.send([header, Frame([UInt8](repeating: 0xAB, count: ProtocolLimits.standard.maxBodyBytes + 1))])
        let refusal = await peer.waitForReply(within: .seconds(10)) { if case .error = $0 { true } else { false } }
        guard case .error(let error) = try #require(refusal, "no ERROR for a body above 1 MiB") else { return }
        #expect(error.code == .tooLarge, "\(error)")
        peer.send(Ping(nonce: 100, sender: "after the big body"))
        #expect(await peer.waitForReply(within: .seconds(10)) {
            if case .pong(let pong) = $0 { pong.nonce == 100 } else { false }
        } != nil, "the worker endpoint stopped answering")

        #expect(cluster.coordinator?.isRunning == true)
        let client = try await cluster.client()
        let status = try await client.status(timeout: .seconds(60))
        await client.close()
        #expect(status.workers.map(\.id) == ["w1"], "the registered worker is unaffected")
        await peer.close()
    }
}

/// Frames holding copies of raw byte arrays.
func rawFrames(_ parts: [[UInt8]]) -> [Frame] { parts.map { Frame($0) } }
