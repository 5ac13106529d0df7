import Foundation
import ShoalClient
import ShoalCore
import ShoalProtocol
import ShoalTestSupport
import Testing
import ZeroMQ

/// SIGTERM on a busy worker (issue 3, "SIGTERM drains: stop taking tasks, finish or hand back the running ones,
/// leave"): once finishing in time, once past `--drain-timeout`.
extension RobustnessTests {
    @Test func sigtermLetsABusyWorkerFinishItsTaskTakeNoMoreAndLeave() async throws {
        let run = try await DrainRun.start(drainTimeout: "30", tasks: 4, sleepMs: 1_500)
        let status = try #require(await run.leaver.waitForExit(timeout: .seconds(30)),
                                  "the draining worker did not exit; stderr: \(run.leaver.stderr.suffix(2_000))")
        #expect(status == 0, "\(run.leaver.stderr.suffix(2_000))")
        #expect(!run.leaver.wasSignalled)
        let left = try await run.leftEvent()
        #expect(left["reason"] == "drained", "\(left)")
        try await run.expectLeaverUnlisted()

        let final = try await run.cluster.waitForEnd(of: run.job)
        #expect(final.record.state == .succeeded, "\(final)")
        #expect(final.counts.succeeded == 4)
        #expect(final.retries == 0)
        #expect(final.troubles.isEmpty, "no attempt was refused, lost or handed back: \(final.troubles)")
        // The task it was running when signalled finished there; nothing started on it after the signal (tasks
        // were still queued when its slot freed up, so a worker that kept taking tasks would have got one).
        let details = try await run.taskDetails(count: 4)
        let onLeaver = details.flatMap(\.attempts).filter { $0.worker == "leaver" }
        #expect(onLeaver.map(\.task) == [run.runningTask] && onLeaver.allSatisfy { $0.ending == .succeeded },
                "attempts on the leaver: \(onLeaver)")
        #expect(onLeaver.allSatisfy { $0.startedAt < run.signalledAt }, "\(onLeaver), signalled at \(run.signalledAt)")
        await run.events.close()
    }

    @Test func sigtermPastTheDrainTimeoutHandsTheRunningTaskBack() async throws {
        let run = try await DrainRun.start(drainTimeout: "0.5", tasks: 3, sleepMs: 2_000)
        let status = try #require(await run.leaver.waitForExit(timeout: .seconds(20)),
                                  "the draining worker did not exit; stderr: \(run.leaver.stderr.suffix(2_000))")
        #expect(status == 0, "\(run.leaver.stderr.suffix(2_000))")
        #expect(!run.leaver.wasSignalled)
        let left = try await run.leftEvent()
        #expect(left["reason"]?.contains("handing back 1") == true, "\(left)")
        try await run.expectLeaverUnlisted()

        let final = try await run.cluster.waitForEnd(of: run.job)
        #expect(final.record.state == .succeeded, "\(final)")
        #expect(final.counts.succeeded == 3)
        #expect(final.retries == 0, "a handed-back attempt is not a failure")
        let returned = try #require(final.troubles.first, "no attempt recorded as handed back")
        #expect(final.troubles.count == 1, "\(final.troubles)")
        #expect(returned.task == run.runningTask && returned.worker == "leaver" && returned.ending == .returned,
                "\(returned)")
        // It waited for the drain timeout before handing back.
        let endedAt = try #require(returned.endedAt)
        #expect(endedAt - run.signalledAt >= 0.45, "handed back \(endedAt - run.signalledAt) s after SIGTERM")
        let details = try await run.taskDetails(count: 3)
        let task = try #require(details.first { $0.id == run.runningTask })
        #expect(task.attempts.map(\.worker) == ["leaver", "stayer"], "\(task.attempts)")
        #expect(task.attempts.last?.ending == .succeeded)
        await run.events.close()
    }

    /// A command that ignores SIGTERM does not outlive its worker: handed back at the drain timeout, it gets the
    /// kill grace period, then its process group is killed before the worker exits.
    @Test func aCommandIgnoringSIGTERMDoesNotOutliveItsDrainedWorker() async throws {
        let cluster = try ClusterFixture()
        try await cluster.startCoordinator()
        let leaver = try await cluster.startWorker("leaver", slots: 1, extra: ["--drain-timeout", "0.5"])
        let pidFile = cluster.directory.path("command.pid")
        _ = try await cluster.submit("""
            kind: command
            name: stubborn
            command: ["sh", "-c", "trap '' TERM; echo $$ > \(pidFile).tmp && mv \(pidFile).tmp \(pidFile); sleep 120"]
            shards: 1
            """)
        #expect(await waitUntil(timeout: .seconds(60)) { FileManager.default.fileExists(atPath: pidFile) },
                "the command never started; worker stderr: \(leaver.stderr.suffix(2_000))")
        let group = try #require(pid_t(try String(contentsOfFile: pidFile, encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(kill(-group, 0) == 0, "the command's group runs")
        leaver.signal(SIGTERM)
        #expect(await leaver.waitForExit(timeout: .seconds(30)) != nil, "the worker did not exit: \(leaver.stderr.suffix(2_000))")
        // Killed before the worker exited; reaped by whoever inherited it, which may take a moment.
        let gone = await waitUntil(timeout: .seconds(10)) { kill(-group, 0) != 0 && errno == ESRCH }
        if !gone { kill(-group, SIGKILL) }  // not leave it running if the test fails
        #expect(gone, "the command's process group outlived its worker")
    }
}

/// A cluster whose only worker ("leaver", one slot) runs a task of a `noop` job when it gets SIGTERM; a second
/// worker ("stayer", two slots) then joins to run the rest. A SUB watches the `cluster` events.
struct DrainRun {
    let cluster: ClusterFixture
    let leaver: ChildProcess
    let job: JobID
    let events: RawPeer
    /// The task the leaver ran when it got SIGTERM.
    let runningTask: TaskID
    /// Wall-clock seconds just before SIGTERM.
    let signalledAt: Double

    static func start(drainTimeout: String, tasks: Int, sleepMs: Int) async throws -> DrainRun {
        let cluster = try ClusterFixture()
        try await cluster.startCoordinator()
        let events = try await RawPeer.subscriber(connecting: cluster.eventsEndpoint, prefix: "cluster",
                                                  context: try Context())
        guard await waitUntil(timeout: .seconds(60), {
            events.monitorEvents.contains { if case .handshakeSucceeded = $0 { true } else { false } }
        }) else { throw FixtureError("the SUB socket never connected: \(events.monitorEvents)") }
        let leaver = try await cluster.startWorker("leaver", slots: 1, extra: ["--drain-timeout", drainTimeout])
        let job = try await cluster.submit(RobustnessTests.noopJob(name: "drain", tasks: tasks, sleepMs: sleepMs))
        try await cluster.waitFor("the leaver to run a task", job: job) { status in
            status.jobs.first?.running.contains { $0.worker == "leaver" } == true
        }
        let client = try await cluster.client()
        let status = try await client.status(job: job)
        await client.close()
        let running = try #require(status.jobs.first?.running.first { $0.worker == "leaver" }?.task)
        let signalledAt = Date().timeIntervalSince1970
        leaver.signal(SIGTERM)
        // The stayer comes after the signal, so while the leaver drains, tasks are still queued: a leaver that
        // kept taking tasks would get the next one as soon as its slot frees up.
        try await cluster.startWorker("stayer", slots: 2)
        return DrainRun(cluster: cluster, leaver: leaver, job: job, events: events, runningTask: running,
                        signalledAt: signalledAt)
    }

    /// The document of the `worker` event that says the leaver left.
    func leftEvent() async throws -> [String: String] {
        let found = await events.waitForMessage(within: .seconds(10)) { frames in
            Self.document(frames).map { $0["worker"] == "leaver" && $0["event"] == "left" } ?? false
        }
        guard let found, let document = Self.document(found) else {
            let seen = events.messages.compactMap(Self.document)
            throw FixtureError("no event says the leaver left; cluster events seen: \(seen)")
        }
        return document
    }

    static func document(_ frames: [Frame]) -> [String: String]? {
        guard let (_, event) = try? ShoalCodec.decodeEvent(frames) else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(event.document.bytes))) as? [String: String]
    }

    /// `shoal workers` lists the stayer only.
    func expectLeaverUnlisted() async throws {
        let workers = try await RobustnessTests.runShoal(
            ["workers", "--json", "--coordinator", cluster.clientEndpoint], in: cluster.directory)
        #expect(workers.status == 0, "\(workers.stderr)")
        let listed = try JSONDecoder().decode([WorkerStatus].self, from: Data(workers.stdout.utf8))
        #expect(listed.map(\.id) == ["stayer"], "\(workers.stdout)")
    }

    /// Every task of the job in detail. A fresh state directory numbers the first job's tasks from 1 (SQLite row
    /// ids), so ids are tried from 1 until `count` tasks of the job are found.
    func taskDetails(count: Int) async throws -> [TaskDetail] {
        let client = try await cluster.client()
        var details: [TaskDetail] = []
        for id in 1...TaskID(count * 10) where details.count < count {
            if let detail = try? await client.status(job: job, task: id).task { details.append(detail) }
        }
        await client.close()
        guard details.count == count else {
            throw FixtureError("found \(details.count) of the job's \(count) tasks by id: \(details.map(\.id))")
        }
        return details
    }
}
