import Foundation
import GRDB
@testable import ShoalCore
import ShoalProtocol
import ShoalTestSupport
import Testing
import ZeroMQ

/// Attempts kept in runs (`AttemptRun`): a batch's started attempts and its committed ones a row each, the
/// attempts that ended otherwise in rows of their own — and every reader (reload, a task's attempts, committed
/// bytes) puts them back together.
@Suite struct AttemptRunTests {
    @Test func runsRoundTripAndDamagedOnesAreNamed() throws {
        var started = AttemptRun.Builder()
        let starts = [
            AttemptRun.Started(task: 42, attempt: 1, speculative: false),
            AttemptRun.Started(task: 7, attempt: 3, speculative: true),
        ]
        for attempt in starts { started.add(attempt) }
        #expect(started.firstTask == 7 && started.lastTask == 42)
        var read: [AttemptRun.Started] = []
        try AttemptRun.decode(started: Data(started.bytes), run: 1) { read.append($0) }
        #expect(read == starts)

        var succeeded = AttemptRun.Builder()
        let commits = [
            AttemptRun.Succeeded(task: 9, attempt: 2, runtimeMs: 1_234, logTail: "done: 10 rows ✓"),
            AttemptRun.Succeeded(task: 10, attempt: 1, runtimeMs: .max, logTail: ""),
        ]
        for attempt in commits { succeeded.add(attempt) }
        var back: [AttemptRun.Succeeded] = []
        try AttemptRun.decode(succeeded: Data(succeeded.bytes), run: 2) { back.append($0) }
        #expect(back == commits)

        #expect {
            try AttemptRun.decode(started: Data(started.bytes.dropLast()), run: 5) { _ in }
        } throws: { error in
            "\(error)".contains("attempt run 5: truncated")
        }
        #expect {
            try AttemptRun.decode(succeeded: Data([9] + succeeded.bytes.dropFirst()), run: 6) { _ in }
        } throws: { error in
            "\(error)".contains("attempt run 6: unknown format")
        }
    }

    /// One job through the store as the coordinator writes it: attempts started in two batches on two workers,
    /// one committed, one failed and retried, a speculative pair of which one committed and one was superseded,
    /// and two left running. Read back live and after reopening.
    @Test func aJobsAttemptsReadBackFromRunsAndRows() throws {
        let directory = try TemporaryDirectory()
        let (job, ids): (JobID, [TaskID])
        func ref(_ task: TaskID, _ attempt: UInt32) -> TaskRef { TaskRef(taskID: task, attempt: attempt) }
        do {
            let store = try StateStore(directory: directory.path)
            let planned = (0..<5).map { PlannedTask(index: $0, label: "s\($0)", spec: [], inputBytes: UInt64(100 << $0)) }
            let (record, tasks) = try store.insertJob(StateStoreTests().record(tasks: 5), tasks: planned)
            (job, ids) = (record.id, tasks.map(\.id))
            func start(_ worker: String, _ refs: [(TaskRef, Bool)]) -> SchedulerDirective {
                .start(worker: worker, attempts: refs.map {
                    AttemptStart(task: $0.0, job: job, kind: "noop", timeoutMs: 0, spec: Frame([UInt8]()), speculative: $0.1)
                })
            }
            func ended(_ ref: TaskRef, _ worker: String, _ ending: AttemptEnding, tail: String = "") -> SchedulerDirective {
                .attemptEnded(AttemptRecord(
                    task: ref, job: job, worker: worker, ending: ending, error: ending == .succeeded ? "" : "exit 3",
                    exitStatus: ending == .succeeded ? 0 : 3, logTail: tail, runtime: .milliseconds(250)))
            }
            try store.apply([
                start("wa", [(ref(ids[0], 1), false), (ref(ids[1], 1), false), (ref(ids[2], 1), false)]),
                start("wb", [(ref(ids[3], 1), false)]),
            ])
            try store.apply([
                ended(ref(ids[0], 1), "wa", .succeeded, tail: "ok"),
                .taskChanged(task: ids[0], job: job, state: .succeeded, failures: 0),
                ended(ref(ids[1], 1), "wa", .failed, tail: "boom"),
                .taskChanged(task: ids[1], job: job, state: .queued, failures: 1),
                start("wb", [(ref(ids[1], 2), false), (ref(ids[2], 2), true), (ref(ids[4], 1), false)]),
            ])
            try store.apply([
                ended(ref(ids[2], 2), "wb", .succeeded),
                ended(ref(ids[2], 1), "wa", .superseded),
                .taskChanged(task: ids[2], job: job, state: .succeeded, failures: 0),
            ])
            // Task 1 (attempt 2), 3 and 4 are running.
            let attempts = try store.attempts(ofTask: ids[2])
            #expect(attempts.map(\.attempt) == [1, 2])
            #expect(attempts.map(\.worker) == ["wa", "wb"] && attempts.map(\.speculative) == [false, true])
            #expect(attempts.map(\.ending) == [.superseded, .succeeded])
            #expect(attempts.map(\.runtimeMs) == [250, 250])
            let first = try store.attempts(ofTask: ids[0])
            #expect(first.map(\.logTail) == ["ok"] && first.map(\.exitStatus) == [0] && first.first?.endedAt != nil)
            let retried = try store.attempts(ofTask: ids[1])
            #expect(retried.map(\.ending) == [.failed, nil] && retried.map(\.logTail) == ["boom", nil])
            #expect(try store.troubles(ofJob: job).map(\.task).sorted() == [ids[1], ids[2]])
            #expect(try store.retries(ofJob: job) == 1)
        }
        let store = try StateStore(directory: directory.path)
        let reloaded = try #require(try store.loadUnfinished().first)
        #expect(reloaded.tasks.map(\.state) == [.succeeded, .running, .succeeded, .running, .running])
        #expect(reloaded.tasks.map(\.lastAttempt) == [1, 2, 2, 1, 1])
        #expect(reloaded.tasks.map(\.failures) == [0, 1, 0, 0, 0])
        #expect(reloaded.leases.map(\.attempt) == [ref(ids[1], 2), ref(ids[3], 1), ref(ids[4], 1)])
        #expect(reloaded.leases.map(\.worker) == ["wb", "wb", "wb"])
        #expect(try store.committedInputBytes(ofJob: job) == 100 + 400)
        #expect(try store.taskDetail(ids[2], job: job)?.state == .succeeded)
        #expect(try store.taskDetail(ids[4], job: job)?.attempts.map(\.ending) == [nil])
    }
}
