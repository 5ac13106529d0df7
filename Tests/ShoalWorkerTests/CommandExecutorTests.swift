import Foundation
import ShoalCore
import ShoalProtocol
import ShoalTestSupport
import ShoalWorker
import Testing
import ZeroMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `CommandExecutor` with real processes: what goes in, what comes out, and that nothing outlives an attempt.
@Suite struct CommandExecutorTests {
    /// The commands below sleep 300 s in the background; an attempt that ends well before that did not wait
    /// for them. Generous, so that a loaded CI machine cannot fail these tests by being slow.
    static let farBelowTheSleep: Duration = .seconds(60)

    let fixture: CommandTaskFixture

    init() throws {
        fixture = try CommandTaskFixture()
    }

    @Test func collectsStdoutAndEveryFileInTheOutputDirectory() async throws {
        let input = try fixture.file("lines.txt", Array("a\nb\nc\n".utf8))
        let result = try await fixture.run(
            fixture.shell("wc -l; mkdir -p \"$SHOAL_OUTPUT_DIR/sub\"; echo hi > {output_dir}/sub/x.txt", input: input))
        #expect(result.outcome == .succeeded, "\(result.error) \(result.logTail)")
        #expect(result.task == TaskRef(taskID: 7, attempt: 1))
        #expect(result.exitStatus == 0 && result.signal == 0 && result.error.isEmpty)
        #expect(result.outputs.map(\.name) == ["stdout", "sub/x.txt"])
        #expect(result.output("stdout")?.trimmingCharacters(in: .whitespaces) == "3\n")
        #expect(result.output("sub/x.txt") == "hi\n")
    }

    @Test func discardedStdoutIsNoOutput() async throws {
        let spec = fixture.spec(["/bin/sh", "-c", "echo ignored; echo kept > \"$SHOAL_OUTPUT_DIR/kept\""], standardOutput: .discard)
        let result = try await fixture.run(spec)
        #expect(result.outcome == .succeeded)
        #expect(result.outputs.map(\.name) == ["kept"])
    }

    @Test func placeholdersEnvironmentAndDirectoryDescribeTheShard() async throws {
        let context = fixture.context()
        let placeholders = try await fixture.run(
            fixture.spec(["printf", "%s|", "{shard}", "{shards}", "{attempt}", "{input}", "{output_dir}", "{other}"]),
            context: context)
        #expect(placeholders.output("stdout") == "2|5|1||\(context.scratchDirectory)/output|{other}|")

        let environment = try await fixture.run(
            fixture.spec(
                [
                    "/bin/sh", "-c",
                    "echo \"$GREETING $SHOAL_JOB_NAME $SHOAL_SHARD_INDEX $SHOAL_SHARD_COUNT [$SHOAL_INPUT] "
                        + "$SHOAL_TASK_ID $SHOAL_ATTEMPT\"; pwd -P; cat",
                ], environment: ["GREETING": "hello"]))
        let lines = try #require(environment.output("stdout")).split(separator: "\n").map(String.init)
        #expect(lines == ["hello fixture 2 5 [] 7 1", fixture.directory.url.resolvingSymlinksInPath().path])
    }

    @Test func stdinBytesArriveIntactAndCountAsProgress() async throws {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<(1 << 20) + 123).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let input = try fixture.file("random.bin", bytes)
        let context = fixture.context()
        let result = try await fixture.run(fixture.spec(["cat"], input: input), context: context)
        #expect(result.outcome == .succeeded)
        #expect(result.outputs.first { $0.name == "stdout" }?.frame.bytes == bytes)
        #expect(await waitUntil(timeout: .seconds(60)) { context.progress.bytes == UInt64(bytes.count) })
    }

    @Test func aCommandThatIgnoresItsInputStillSucceeds() async throws {
        // The feeder's writes fail with EPIPE once `true` is gone; SIGPIPE must not reach the worker.
        let input = try fixture.file("big.bin", [UInt8](repeating: 7, count: 8 << 20))
        let result = try await fixture.run(fixture.spec(["true"], input: input))
        #expect(result.outcome == .succeeded)
        #expect(result.output("stdout") == "")
    }

    @Test func aNonZeroExitFailsWithItsStatusAndLog() async throws {
        let result = try await fixture.run(fixture.shell("echo oops >&2; exit 3"))
        #expect(result.outcome == .failed)
        #expect(result.exitStatus == 3 && result.signal == 0)
        #expect(result.error == "exited with status 3")
        #expect(result.logTail == "oops")
        #expect(result.outputs.isEmpty)
    }

    @Test func aSignalIsReportedByNumberAndName() async throws {
        let result = try await fixture.run(fixture.shell("ulimit -c 0; kill -SEGV $$"))
        #expect(result.outcome == .failed)
        #expect(result.signal == SIGSEGV && result.exitStatus == -1)
        #expect(result.error == "killed by signal \(SIGSEGV) (SIGSEGV)")
    }

    @Test func reporterLinesBecomeStatusAndCounters() async throws {
        let context = fixture.context()
        let result = try await fixture.run(
            fixture.shell(
                """
                echo reporter:status:halfway >&2
                echo reporter:counter:words,seen,5 >&2
                printf 'reporter:counter:words,seen,2\\r\\n' >&2
                echo reporter:counter:bad >&2
                echo plain >&2
                """), context: context)
        #expect(result.outcome == .succeeded)
        #expect(context.progress.status == "halfway")
        #expect(result.counters == [Counter(name: "words.seen", value: 7)])
        #expect(result.logTail == "reporter:counter:bad\nplain")
    }

    @Test func countersThatWouldOverflowSaturate() async throws {
        let result = try await fixture.run(fixture.shell(
            """
            echo reporter:counter:g,up,9223372036854775807 >&2
            echo reporter:counter:g,up,9223372036854775807 >&2
            echo reporter:counter:g,down,-9223372036854775807 >&2
            echo reporter:counter:g,down,-9223372036854775807 >&2
            """))
        #expect(result.outcome == .succeeded)
        #expect(result.counters == [Counter(name: "g.up", value: .max), Counter(name: "g.down", value: .min)])
    }

    @Test func theLogTailIsBounded() async throws {
        let many = try await fixture.run(fixture.shell("i=0; while [ $i -lt 100 ]; do echo line $i >&2; i=$((i+1)); done; exit 1"))
        let lines = many.logTail.split(separator: "\n")
        #expect(lines.count == 40)
        #expect(lines.first == "line 60" && lines.last == "line 99")

        let long = try await fixture.run(
            fixture.shell("head -c 100000 /dev/zero | tr '\\0' x >&2; echo >&2; echo end >&2; exit 1"))
        #expect(long.logTail.utf8.count <= 8192)
        #expect(long.logTail.hasPrefix("xxx") && long.logTail.hasSuffix("x…\nend"))
    }

    @Test func aProgramThatCannotRunFailsWithTheReason() async throws {
        let missing = try await fixture.run(fixture.spec(["no-such-program-shoal"]))
        #expect(missing.outcome == .failed)
        #expect(missing.error == "cannot run 'no-such-program-shoal': No such file or directory")

        _ = try fixture.file("data.txt", Array("not a program".utf8))
        let notExecutable = try await fixture.run(fixture.spec(["./data.txt"]))
        #expect(notExecutable.error == "cannot run './data.txt': Permission denied")

        let noInput = try await fixture.run(fixture.spec(["cat"], input: fixture.directory.path("absent.txt")))
        #expect(noInput.error.hasPrefix("cannot open the input \(fixture.directory.path("absent.txt")): No such file"))
    }

    @Test func anInvalidSpecFails() async throws {
        let context = fixture.context()
        let assignment = TaskAssignment(task: context.task, jobID: 1, kind: "command", spec: Frame("{not json"))
        let result = await CommandExecutor().run(assignment, context: context)
        #expect(result.outcome == .failed)
        #expect(result.error.hasPrefix("invalid command task spec"))

        let empty = fixture.assignment(fixture.spec([]), context: context)
        #expect(await CommandExecutor().run(empty, context: context).error == "invalid command task spec: no program")
    }

    @Test func aTimeoutKillsTheWholeProcessTreeQuickly() async throws {
        let pidFile = fixture.directory.path("grandchild.pid")
        let started = ContinuousClock.now
        let result = try await fixture.run(fixture.shell("sleep 300 & echo $! > \(pidFile); wait"), timeoutMs: 300)
        #expect(ContinuousClock.now - started < Self.farBelowTheSleep)
        #expect(result.outcome == .failed)
        #expect(result.error == "timed out after 300ms")
        #expect(result.signal == SIGTERM)
        let grandchild = try #require(await waitForLine(inFile: pidFile, timeout: .seconds(60)).flatMap { pid_t($0) })
        #expect(await waitUntil(timeout: .seconds(60)) { processHasEnded(grandchild) })
    }

    @Test func aCommandIgnoringSIGTERMIsKilledAfterTheGracePeriod() async throws {
        let executor = CommandExecutor(killGracePeriod: .milliseconds(300))
        let started = ContinuousClock.now
        let result = try await fixture.run(fixture.shell("trap '' TERM; sleep 300"), timeoutMs: 200, executor: executor)
        #expect(ContinuousClock.now - started < Self.farBelowTheSleep)
        #expect(result.error == "timed out after 200ms")
        #expect(result.signal == SIGKILL)
    }

    @Test func cancellationKillsTheTreeAndReportsCancelled() async throws {
        let pidFile = fixture.directory.path("grandchild.pid")
        let context = fixture.context()
        let assignment = fixture.assignment(fixture.shell("sleep 300 & echo $! > \(pidFile); wait"), context: context)
        let running = Task { await CommandExecutor().run(assignment, context: context) }
        let grandchild = try #require(await waitForLine(inFile: pidFile, timeout: .seconds(60)).flatMap { pid_t($0) })
        let cancelled = ContinuousClock.now
        running.cancel()
        let result = try await withDeadline(.seconds(60)) { await running.value }
        #expect(ContinuousClock.now - cancelled < Self.farBelowTheSleep)
        #expect(result.outcome == .cancelled)
        #expect(await waitUntil(timeout: .seconds(60)) { processHasEnded(grandchild) })
    }

    @Test func whatACommandLeavesRunningEndsWithIt() async throws {
        // The background sleep holds stderr open; the attempt must neither wait for it nor leave it behind.
        let pidFile = fixture.directory.path("leftover.pid")
        let started = ContinuousClock.now
        let result = try await fixture.run(fixture.shell("sleep 300 & echo $! > \(pidFile); echo done"))
        #expect(ContinuousClock.now - started < Self.farBelowTheSleep)
        #expect(result.outcome == .succeeded)
        #expect(result.output("stdout") == "done\n")
        let leftover = try #require(await waitForLine(inFile: pidFile, timeout: .seconds(60)).flatMap { pid_t($0) })
        #expect(await waitUntil(timeout: .seconds(60)) { processHasEnded(leftover) })
    }

    @Test func aShardOfTheExampleJobCountsItsFilesLines() async throws {
        let projectRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        let source = "cluster/jobs/line-counts.yaml"
        let job = try JobFile.parse(
            text: try String(contentsOfFile: projectRoot + "/" + source, encoding: .utf8), source: source,
            workingDirectory: projectRoot, settings: Settings())
        let task = try #require(try JobKindRegistry.standard.plan(job).tasks.first)
        let context = fixture.context()
        let assignment = TaskAssignment(task: context.task, jobID: 1, kind: job.kind, spec: Frame(task.spec))
        let result = try await withDeadline(.seconds(30)) { await CommandExecutor().run(assignment, context: context) }
        let newlines = try Data(contentsOf: URL(fileURLWithPath: projectRoot + "/" + task.label)).filter { $0 == 10 }.count
        #expect(result.outcome == .succeeded)
        #expect(result.output("stdout")?.trimmingCharacters(in: .whitespacesAndNewlines) == String(newlines))
        #expect(context.progress.bytes == task.inputBytes)
    }
}
