import Foundation
import ShoalClient
import ShoalCore
import ShoalProtocol
import ShoalTestSupport
import Testing

/// The runtime end to end: real coordinator and worker processes over loopback, real job files, real commits.
/// Serialized: each test runs several processes, and the machine has two cores.
@Suite(.serialized) struct ClusterTests {
    /// A command job whose shard `i` prints "shard i" (optionally slowly), committed under `output`.
    /// A `command` job whose shard N writes "shard N attempt A" to stdout; with `counter`, each attempt also
    /// reports the counter `echo.shards` = 1.
    func echoJob(name: String = "echo", shards: Int, output: String = "out", sleep: String = "0",
                 extra: String = "", counter: Bool = false) -> String {
        let report = counter ? "echo reporter:counter:echo,shards,1 >&2; " : ""
        return """
        kind: command
        name: \(name)
        command: ["sh", "-c", "sleep \(sleep); \(report)echo shard {shard} attempt {attempt}"]
        shards: \(shards)
        output: \(output)
        \(extra)
        """
    }

    /// The committed stdout of each shard, with the attempt number dropped (any attempt may commit a shard).
    func shardOutputs(_ cluster: ClusterFixture, output: String = "out") throws -> [String: String] {
        var result: [String: String] = [:]
        for (path, contents) in try cluster.committedFiles(in: output) where path.hasSuffix("/stdout") {
            result[path] = contents.components(separatedBy: " attempt ").first
        }
        return result
    }

    func expectedOutputs(_ shards: Int) -> [String: String] {
        Dictionary(uniqueKeysWithValues: (0..<shards).map { (String(format: "shard-%05d/stdout", $0), "shard \($0)") })
    }

    @Test func twoHundredCommandTasksOverThreeWorkersCommitOnceEach() async throws {
        let cluster = try ClusterFixture()
        try await cluster.startCoordinator()
        for name in ["w1", "w2", "w3"] { try await cluster.startWorker(name, slots: 2) }
        let job = try await cluster.submit(echoJob(shards: 200))
        let final = try await cluster.waitForEnd(of: job)
        #expect(final.record.state == .succeeded, "\(final)")
        #expect(final.counts.succeeded == 200)
        #expect(try shardOutputs(cluster) == expectedOutputs(200))
        let files = try cluster.committedFiles(in: "out")
        #expect(files.keys.contains("_SUCCESS"))
        #expect(!files.keys.contains { $0.hasPrefix(".shoal-tmp") }, "no staging left behind")
        #expect(files.count == 201, "exactly one output per shard plus _SUCCESS")
    }

    @Test func aWorkerKilledMidJobCostsARetryNotTheJob() async throws {
        let cluster = try ClusterFixture()
        try await cluster.startCoordinator()
        let doomed = try await cluster.startWorker("doomed", slots: 2)
        try await cluster.startWorker("survivor", slots: 2)
        let job = try await cluster.submit(echoJob(shards: 24, sleep: "0.4"))
        try await cluster.waitFor("the doomed worker to run tasks", job: job) { status in
            status.jobs.first?.running.contains { $0.worker == "doomed" } == true
        }
        doomed.signal(SIGKILL)
        let final = try await cluster.waitForEnd(of: job)
        #expect(final.record.state == .succeeded, "\(final)")
        #expect(final.retries >= 1, "the lost attempts are counted")
        #expect(final.troubles.contains { $0.ending == .lost && $0.worker == "doomed" })
        #expect(try shardOutputs(cluster) == expectedOutputs(24))
    }

    @Test func aCoordinatorKilledMidJobResumesFromItsStateDirectory() async throws {
        let cluster = try ClusterFixture()
        try await cluster.startCoordinator()
        try await cluster.startWorker("w1", slots: 2)
        try await cluster.startWorker("w2", slots: 2)
        let job = try await cluster.submit(echoJob(shards: 30, sleep: "0.3", counter: true))
        try await cluster.waitFor("some tasks to commit", job: job) { ($0.jobs.first?.counts.succeeded ?? 0) >= 4 }
        cluster.coordinator?.signal(SIGKILL)
        #expect(await cluster.coordinator?.waitForExit(timeout: .seconds(60)) != nil)
        try await cluster.startCoordinator(reuseEndpoints: true)
        let final = try await cluster.waitForEnd(of: job)
        #expect(final.record.state == .succeeded, "\(final)")
        #expect(try shardOutputs(cluster) == expectedOutputs(30))
        #expect(try cluster.committedFiles(in: "out").count == 31)
        // Each shard's counter counted once across the kill. (A shard renamed into place but not yet recorded
        // when the coordinator died counts through its commit record; the kill seldom lands in that window, so
        // `aShardFoundInPlaceWithItsCommitRecordKeepsItsAttemptAndCounters` sets it up.)
        #expect(final.counters == ["echo.shards": 30], "\(final.counters)")
        // Both workers came back to the new coordinator by themselves.
        try await cluster.waitFor("workers to re-register") { Set($0.workers.map(\.id)) == ["w1", "w2"] }
    }

    @Test func aTaskThatAlwaysFailsFailsTheJobWithItsError() async throws {
        let cluster = try ClusterFixture()
        try await cluster.startCoordinator()
        try await cluster.startWorker("w1", slots: 2)
        let job = try await cluster.submit("""
            kind: command
            name: doomed
            command: ["sh", "-c", "if [ {shard} = 3 ]; then echo 'bad row in shard 3' >&2; exit 7; fi; sleep 5"]
            shards: 6
            max_attempts: 2
            """)
        let final = try await cluster.waitForEnd(of: job)
        #expect(final.record.state == .failed)
        let error = try #require(final.record.error)
        #expect(error.contains("failed 2 times"), "\(error)")
        #expect(error.contains("exited with status 7"), "\(error)")
        let trouble = try #require(final.troubles.first { $0.ending == .failed })
        #expect(trouble.exitStatus == 7)
        #expect(trouble.logTail?.contains("bad row in shard 3") == true)
        // The job's other tasks were cancelled, not left running; its counts outlive it in the store.
        #expect(final.counts.running == 0)
        #expect(final.counts.failed == 1, "\(final.counts)")
        #expect(final.counts.succeeded + final.counts.cancelled == 5, "\(final.counts)")

        let logs = try await run(["logs", "\(job)", "--coordinator", cluster.clientEndpoint], in: cluster.directory)
        #expect(logs.status == 0)
        #expect(logs.stdout.contains("bad row in shard 3"), "\(logs.stdout)")
        let status = try await run(["status", "\(job)", "--coordinator", cluster.clientEndpoint], in: cluster.directory)
        #expect(status.stdout.contains("failed"), "\(status.stdout)")
        #expect(status.stdout.contains("exited with status 7"), "\(status.stdout)")
    }

    @Test func aWorkerStartedMidJobGetsTasksAndADrainedWorkerLeaves() async throws {
        let cluster = try ClusterFixture()
        try await cluster.startCoordinator()
        let first = try await cluster.startWorker("first", slots: 1)
        let job = try await cluster.submit(echoJob(shards: 16, sleep: "0.3"))
        try await cluster.waitFor("the job to start", job: job) { ($0.jobs.first?.counts.running ?? 0) > 0 }
        try await cluster.startWorker("late", slots: 2)
        try await cluster.waitFor("the late worker to run tasks", job: job) { status in
            status.jobs.first?.running.contains { $0.worker == "late" } == true
        }
        let drain = try await run(["drain", "first", "--coordinator", cluster.clientEndpoint], in: cluster.directory)
        #expect(drain.status == 0, "\(drain.stderr)")
        #expect(await first.waitForExit(timeout: .seconds(30)) == 0, "the drained worker finishes and exits cleanly")
        let final = try await cluster.waitForEnd(of: job)
        #expect(final.record.state == .succeeded)
        #expect(final.retries == 0, "draining costs no retries")
        #expect(try shardOutputs(cluster) == expectedOutputs(16))
    }

    @Test func aHungTaskIsKilledAndRetried() async throws {
        let cluster = try ClusterFixture()
        try await cluster.startCoordinator()
        try await cluster.startWorker("w1", slots: 2)
        // Shard 1's first attempt hangs (no progress, no exit); the retry is quick.
        let job = try await cluster.submit("""
            kind: command
            name: hang
            command: ["sh", "-c", "if [ {shard} = 1 ] && [ {attempt} = 1 ]; then sleep 60; fi; echo shard {shard} attempt {attempt}"]
            shards: 3
            output: out
            hang_timeout: 1s
            speculation: false
            """)
        let final = try await cluster.waitForEnd(of: job)
        #expect(final.record.state == .succeeded, "\(final)")
        #expect(final.troubles.contains { $0.ending == .hung && $0.attempt == 1 })
        #expect(try shardOutputs(cluster) == expectedOutputs(3))
    }

    @Test func aStragglerGetsASpeculativeCopyAndOneOutputIsCommitted() async throws {
        let cluster = try ClusterFixture()
        try await cluster.startCoordinator()
        try await cluster.startWorker("w1", slots: 3)
        try await cluster.startWorker("w2", slots: 3)
        // Shard 5's first attempt is slow but alive (it reports progress); any copy of it is fast.
        let job = try await cluster.submit("""
            kind: command
            name: straggler
            command: ["sh", "-c", "if [ {shard} = 5 ] && [ {attempt} = 1 ]; then for i in $(seq 60); do echo reporter:status:$i >&2; sleep 0.5; done; fi; echo shard {shard} attempt {attempt}"]
            shards: 6
            output: out
            """)
        let final = try await cluster.waitForEnd(of: job, timeout: .seconds(60))
        #expect(final.record.state == .succeeded, "\(final)")
        #expect(final.troubles.contains { $0.ending == .superseded && $0.task == final.troubles.first?.task })
        let outputs = try cluster.committedFiles(in: "out")
        #expect(outputs["shard-00005/stdout"] == "shard 5 attempt 2\n", "the speculative copy won")
        #expect(try shardOutputs(cluster) == expectedOutputs(6))
        #expect(final.retries == 0, "a lost race is not a failure")
    }

    @Test func aBadJobFileIsRefusedAtSubmitWithItsLineAndNothingIsQueued() async throws {
        let cluster = try ClusterFixture()
        try await cluster.startCoordinator()
        let path = cluster.directory.path("bad.yaml")
        try """
            kind: command
            name: typo
            comand: ["true"]
            shards: 2
            """.write(toFile: path, atomically: true, encoding: .utf8)
        let result = try await run(["submit", path, "--coordinator", cluster.clientEndpoint], in: cluster.directory)
        #expect(result.status == 1)
        #expect(result.stderr.contains("bad.yaml:3:1"), "\(result.stderr)")
        #expect(result.stderr.contains("comand"), "\(result.stderr)")
        #expect(result.stderr.contains("command"), "a suggestion: \(result.stderr)")
        let jobs = try await run(["jobs", "--coordinator", cluster.clientEndpoint, "--json"], in: cluster.directory)
        #expect(jobs.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[\n\n]"
                || jobs.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[]", "\(jobs.stdout)")
    }

    @Test func shoalRunRunsAJobOnAnEmbeddedClusterAndTearsItDown() async throws {
        let directory = try TemporaryDirectory(prefix: "shoal-run")
        try echoJob(shards: 12).write(toFile: directory.path("job.yaml"), atomically: true, encoding: .utf8)
        let child = try ChildProcess(
            try BuiltProducts.shoal, ["run", directory.path("job.yaml"), "--workers", "2",
                                      "--state-dir", directory.path("state")],
            in: directory, currentDirectory: directory.path, name: "run")
        let status = try #require(await child.waitForExit(timeout: .seconds(60)), "shoal run did not finish")
        #expect(status == 0, "\(child.stderr)")
        #expect(child.stdout.contains("succeeded: 12/12 tasks"), "\(child.stdout)")
        #expect(try shoalOutputs(in: directory) == expectedOutputs(12))
        // Its coordinator and workers are gone: no process runs with its state directory or its worker ids.
        let runID = "local-\(child.pid)-"
        let leftovers = Self.processes { $0.contains(directory.path("state")) || $0.contains(runID) }
        #expect(leftovers.isEmpty, "processes left running: \(leftovers)")
    }

    @Test func anEarlierRunsOutputsRefuseANewRunUnlessRestarted() async throws {
        let directory = try TemporaryDirectory(prefix: "shoal-rerun")
        try echoJob(shards: 3).write(toFile: directory.path("job.yaml"), atomically: true, encoding: .utf8)
        func run(_ extra: [String]) async throws -> (status: Int32, stdout: String, stderr: String) {
            let child = try ChildProcess(
                try BuiltProducts.shoal, ["run", directory.path("job.yaml"), "--workers", "1"] + extra,
                in: directory, currentDirectory: directory.path, name: "run")
            let status = try #require(await child.waitForExit(timeout: .seconds(60)), "shoal run did not finish")
            return (status, child.stdout, child.stderr)
        }
        let first = try await run([])
        #expect(first.status == 0, "\(first.stderr)")
        let marker = directory.path("out/shard-00001/stdout")
        try "an earlier run's output\n".write(toFile: marker, atomically: true, encoding: .utf8)

        let refused = try await run([])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("job.yaml: output:"), "\(refused.stderr)")
        #expect(refused.stderr.contains("earlier run (_SUCCESS, shard-00000, shard-00001, …)"), "\(refused.stderr)")
        #expect(refused.stderr.contains("--restart"), "\(refused.stderr)")
        #expect(try String(contentsOfFile: marker, encoding: .utf8) == "an earlier run's output\n", "untouched")

        let restarted = try await run(["--restart"])
        #expect(restarted.status == 0, "\(restarted.stderr)")
        #expect(try String(contentsOfFile: marker, encoding: .utf8).hasPrefix("shard 1 attempt "), "replaced")
    }

    @Test func twoUnfinishedJobsCannotShareAnOutputDirectory() async throws {
        let cluster = try ClusterFixture()
        try await cluster.startCoordinator()
        // No worker: the first job stays queued, unfinished.
        let first = try await cluster.submit(echoJob(name: "first", shards: 2, output: "out"), name: "first.yaml")
        // As if it had committed a shard already.
        let marker = cluster.directory.path("out/shard-00000/stdout")
        try FileManager.default.createDirectory(
            atPath: cluster.directory.path("out/shard-00000"), withIntermediateDirectories: true)
        try "shard 0 attempt 1\n".write(toFile: marker, atomically: true, encoding: .utf8)

        let client = try await cluster.client()
        func submit(_ output: String, restart: Bool) async -> String? {
            let yaml = echoJob(name: "second", shards: 2, output: output)
            do {
                _ = try await client.submit(
                    jobFile: yaml, source: cluster.directory.path("second.yaml"),
                    workingDirectory: cluster.directory.path, restart: restart)
                return nil
            } catch ClientError.refused(let reply) {
                return reply.message
            } catch {
                return "unexpected: \(error)"
            }
        }
        for (output, restart) in [("out", false), ("out", true), ("out/inner", true), ("./out/", false)] {
            let refusal = await submit(output, restart: restart)
            #expect(refusal?.contains("is also the output of job \(first) (first, queued)") == true,
                    "\(output), restart \(restart): \(refusal ?? "accepted")")
        }
        #expect(try String(contentsOfFile: marker, encoding: .utf8) == "shard 0 attempt 1\n", "untouched by --overwrite")
        #expect(await submit("out-2", restart: false) == nil, "another directory is fine")
        let status = try await client.status()
        #expect(status.jobs.count == 2, "the refused submissions stored nothing: \(status.jobs.map(\.record.name))")
        // The same job file with --restart replaces the unfinished job: cancelled first, then its outputs go.
        let again = try await client.submit(
            jobFile: echoJob(name: "first", shards: 2, output: "out"), source: cluster.directory.path("first.yaml"),
            workingDirectory: cluster.directory.path, restart: true)
        #expect(again.jobID != first && !again.resumed)
        #expect(try await client.status(job: first).jobs.first?.record.state == .cancelled)
        #expect(!FileManager.default.fileExists(atPath: marker), "the replaced job's shard was removed")
        await client.close()
    }

    /// What a coordinator killed after renaming shard 0 into place but before recording it leaves: a 2-task job
    /// whose first attempts are leased to a worker "gone", and `shard-00000` in `output`.
    static func twoLeasesWithTheFirstShardInPlace(_ cluster: ClusterFixture, output: String) throws
        -> (job: JobID, attempts: [TaskRef])
    {
        let record = JobRecord(
            name: "found", kind: "noop", priority: 0, maxAttempts: 3, timeoutMs: nil, hangTimeoutMs: 60_000,
            speculation: false, source: cluster.directory.path("job.yaml"), workingDirectory: cluster.directory.path,
            specHash: "found-in-place", outputDirectory: output, taskCount: 2)
        let store = try StateStore(directory: cluster.stateDirectory)
        let (stored, tasks) = try store.insertJob(record, tasks: (0..<2).map {
            PlannedTask(index: $0, label: "shard \($0)", spec: [UInt8($0)], inputBytes: 1)
        })
        let attempts = tasks.map { TaskRef(taskID: $0.id, attempt: 1) }
        try store.apply([.start(worker: "gone", attempts: zip(attempts, tasks).map { attempt, task in
            AttemptStart(task: attempt, job: stored.id, kind: "noop", timeoutMs: 0, spec: task.spec, speculative: false)
        })])
        try FileManager.default.createDirectory(
            atPath: OutputPaths.shard(output, index: 0), withIntermediateDirectories: true)
        return (stored.id, attempts)
    }

    /// A coordinator killed after renaming a shard into place but before recording it: at reload the shard
    /// counts as committed, and the lease of the attempt that made it is closed, not left open for the next
    /// restart to hand back ahead of the task's later attempts.
    @Test func aLeaseWhoseShardWasFoundInPlaceIsClosedAtReload() async throws {
        let cluster = try ClusterFixture()
        let output = cluster.directory.path("out")
        let (job, attempts) = try Self.twoLeasesWithTheFirstShardInPlace(cluster, output: output)
        try await cluster.startCoordinator()
        try await cluster.waitFor("the reload", job: job) { status in
            guard let found = status.jobs.first else { return false }
            return found.counts.succeeded == 1 && found.troubles.contains { $0.task == attempts[0].taskID }
        }
        let status = try await cluster.client().status(job: job)
        let closed = try #require(status.jobs.first?.troubles.first { $0.task == attempts[0].taskID })
        #expect(closed.attempt == 1 && closed.ending == .unreported, "\(closed)")
        #expect(status.jobs.first?.counts.running == 1, "the other task's lease waits for its worker")
    }

    /// The same, with the record the committer wrote beside the shard before its rename: at reload the attempt
    /// is recorded as the dead coordinator would have — succeeded, on its worker — and its counters count.
    @Test func aShardFoundInPlaceWithItsCommitRecordKeepsItsAttemptAndCounters() async throws {
        let cluster = try ClusterFixture()
        let output = cluster.directory.path("out")
        let (job, attempts) = try Self.twoLeasesWithTheFirstShardInPlace(cluster, output: output)
        let commit = CommitRecord(
            task: attempts[0], worker: "gone", runtime: .milliseconds(250), logTail: "the last line",
            counters: [Counter(name: "rows", value: 42)])
        try FileManager.default.createDirectory(atPath: OutputPaths.staging(output), withIntermediateDirectories: true)
        try JSONEncoder().encode(commit).write(to: URL(fileURLWithPath: OutputPaths.commitRecord(output, index: 0)))
        try await cluster.startCoordinator()
        try await cluster.waitFor("the reload", job: job) { $0.jobs.first?.counts.succeeded == 1 }
        let status = try await cluster.client().status(job: job, task: attempts[0].taskID)
        #expect(status.jobs.first?.counters == ["rows": 42], "the found shard's counters count")
        #expect(status.jobs.first?.troubles.contains { $0.task == attempts[0].taskID } == false,
                "its attempt is not closed as unreported: \(String(describing: status.jobs.first?.troubles))")
        let history = try #require(status.task?.attempts)
        #expect(history.count == 1 && history.first?.ending == .succeeded && history.first?.worker == "gone",
                "\(history)")
        #expect(status.jobs.first?.counts.running == 1, "the other task's lease waits for its worker")
    }

    /// `shoal run` whose coordinator dies mid-job stops and says so, exit 1 — not a progress bar waiting for ever.
    @Test func shoalRunWhoseCoordinatorDiesExitsNonZero() async throws {
        let (directory, run) = try shoalRunOfALongJob(prefix: "shoal-run-dies")
        // Its coordinator is the child started with `coordinator`; wait until the job runs on its worker.
        let child = { @Sendable in Self.child(of: run.pid, role: "coordinator") }
        #expect(await waitUntil(timeout: .seconds(60)) { child() != nil })
        let coordinator = try #require(child(), "no coordinator under shoal run; stderr: \(run.stderr.suffix(2_000))")
        // Following the job: its progress line is out (the job was accepted).
        #expect(await waitUntil(timeout: .seconds(60)) { run.stderr.contains(" running ") })
        kill(coordinator, SIGKILL)
        let status = try #require(await run.waitForExit(timeout: .seconds(60)), "shoal run kept waiting: \(run.stderr.suffix(2_000))")
        #expect(status == 1)
        #expect(run.stderr.contains("the coordinator exited"), "\(run.stderr.suffix(2_000))")
        withExtendedLifetime(directory) {}  // its output files live there
    }

    /// `shoal run` whose coordinator stops answering before it has accepted the job, then dies: it stops at once
    /// and says so, rather than waiting out the submission's one-minute timeout.
    @Test func shoalRunWhoseCoordinatorDiesBeforeAcceptingExitsAtOnce() async throws {
        let (directory, run) = try shoalRunOfALongJob(prefix: "shoal-run-dies-early")
        let child = { @Sendable (role: String) in Self.child(of: run.pid, role: role) }
        // Its worker is started once the coordinator is ready, just before the job is submitted: stop the
        // coordinator then, so that it cannot answer (if the answer got out first, this is the test above).
        #expect(await waitUntil(timeout: .seconds(60), every: .milliseconds(1)) { child("worker") != nil })
        let coordinator = try #require(child("coordinator"), "no coordinator under shoal run: \(run.stderr.suffix(2_000))")
        kill(coordinator, SIGSTOP)
        kill(coordinator, SIGKILL)
        let status = try #require(await run.waitForExit(timeout: .seconds(30)), "shoal run kept waiting: \(run.stderr.suffix(2_000))")
        #expect(status == 1)
        #expect(run.stderr.contains("the coordinator exited"), "\(run.stderr.suffix(2_000))")
        withExtendedLifetime(directory) {}  // its output files live there
    }

    /// `shoal submit --wait` gives up once the coordinator has been silent for --max-silence, exit 1.
    @Test func submitWaitGivesUpOnASilentCoordinator() async throws {
        let cluster = try ClusterFixture()
        try await cluster.startCoordinator()
        let worker = try await cluster.startWorker("w1", slots: 1)
        try echoJob(shards: 2, sleep: "61").write(toFile: cluster.directory.path("job.yaml"), atomically: true, encoding: .utf8)
        let submit = try ChildProcess(
            try BuiltProducts.shoal, ["submit", "job.yaml", "--wait", "--max-silence", "2",
                                      "--coordinator", cluster.clientEndpoint],
            in: cluster.directory, currentDirectory: cluster.directory.path, name: "submit")
        try await cluster.waitFor("the job to run") { $0.jobs.first?.counts.running == 1 }
        cluster.coordinator?.signal(SIGKILL)
        let status = try #require(await submit.waitForExit(timeout: .seconds(60)), "submit --wait kept waiting")
        #expect(status == 1)
        #expect(submit.stderr.contains("has not answered for 2 s"), "\(submit.stderr.suffix(2_000))")
        // The worker goes with the fixture (SIGKILL): its command, ours too, is ended here by PID.
        for pid in Self.processes(matching: { $0.hasPrefix("sleep 61") })
        where Self.parent(of: pid).flatMap(Self.parent(of:)) == worker.pid {
            kill(pid, SIGKILL)
        }
    }

    /// The PID of `pid`'s parent, from /proc.
    static func parent(of pid: Int32) -> Int32? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        return stat[stat.index(after: close)...].split(separator: " ").dropFirst().first.flatMap { Int32($0) }
    }

    func shoalOutputs(in directory: TemporaryDirectory) throws -> [String: String] {
        var result: [String: String] = [:]
        for index in 0..<12 {
            let path = directory.path(String(format: "out/shard-%05d/stdout", index))
            if let text = try? String(contentsOfFile: path, encoding: .utf8) {
                result[String(format: "shard-%05d/stdout", index)] = text.components(separatedBy: " attempt ").first
            }
        }
        return result
    }

    /// PIDs of the processes whose command line matches.
    /// `shoal run` of a 4-shard command job whose tasks sleep a minute, on one worker, in a fresh directory.
    func shoalRunOfALongJob(prefix: String) throws -> (TemporaryDirectory, ChildProcess) {
        let directory = try TemporaryDirectory(prefix: prefix)
        try echoJob(shards: 4, sleep: "60").write(toFile: directory.path("job.yaml"), atomically: true, encoding: .utf8)
        let run = try ChildProcess(
            try BuiltProducts.shoal, ["run", directory.path("job.yaml"), "--workers", "1"],
            in: directory, currentDirectory: directory.path, name: "run")
        return (directory, run)
    }

    /// The child of `parent` started as `shoal ROLE` (`coordinator`, `worker`), if there is one.
    static func child(of parent: Int32, role: String) -> Int32? {
        processes { $0.contains(" \(role) ") }.first { Self.parent(of: $0) == parent }
    }

    static func processes(matching: (String) -> Bool) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry in
            guard let pid = Int32(entry),
                  let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return nil }
            let commandLine = String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
            return matching(commandLine) ? pid : nil
        }
    }

    /// Runs `shoal arguments` to completion in `directory`.
    func run(_ arguments: [String], in directory: TemporaryDirectory) async throws
        -> (status: Int32, stdout: String, stderr: String)
    {
        let child = try ChildProcess(
            try BuiltProducts.shoal, arguments, in: directory, currentDirectory: directory.path, name: "cli")
        let status = try #require(await child.waitForExit(timeout: .seconds(30)), "shoal \(arguments) did not finish")
        return (status, child.stdout, child.stderr)
    }
}
