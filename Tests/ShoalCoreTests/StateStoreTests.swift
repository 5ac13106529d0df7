import Foundation
import GRDB
@testable import ShoalCore
import ShoalProtocol
import ShoalTestSupport
import Synchronization
import Testing
import ZeroMQ

/// The state store on a real SQLite file: what is applied survives closing and reopening.
@Suite struct StateStoreTests {
    func record(name: String = "job", hash: String = "h1", tasks: Int) -> JobRecord {
        JobRecord(
            name: name, kind: "noop", priority: 2, maxAttempts: 3, timeoutMs: 5_000, hangTimeoutMs: 60_000,
            speculation: true, source: "jobs/x.yaml", workingDirectory: "/w", specHash: hash, outputDirectory: "/w/out",
            taskCount: tasks)
    }

    func planned(_ count: Int) -> [PlannedTask] {
        (0..<count).map { PlannedTask(index: $0, label: "shard \($0)", spec: [UInt8($0), 0xFF], inputBytes: UInt64($0 * 10)) }
    }

    @Test func anEpochPerOpening() throws {
        let directory = try TemporaryDirectory()
        let first = try StateStore(directory: directory.path("state")).epoch
        let second = try StateStore(directory: directory.path("state")).epoch
        #expect(second == first + 1)
    }

    @Test func jobsAndTasksGetIdsAndReadBack() throws {
        let directory = try TemporaryDirectory()
        let store = try StateStore(directory: directory.path)
        let (job, tasks) = try store.insertJob(record(tasks: 3), tasks: planned(3))
        #expect(job.id > 0)
        #expect(tasks.map(\.index) == [0, 1, 2])
        #expect(Set(tasks.map(\.id)).count == 3)
        #expect(tasks[1].spec.bytes == [1, 0xFF])
        let read = try #require(try store.job(job.id))
        #expect(read.name == "job" && read.priority == 2 && read.timeoutMs == 5_000 && read.state == .queued)
        #expect(try store.unfinishedJob(specHash: "h1") == job.id)
        #expect(try store.unfinishedJob(specHash: "other") == nil)
    }

    /// A job inserted in order (the coordinator's path) under the ids `nextIDs` gave reads back as one inserted
    /// at once would, and the ids after it follow it; ids taken by another insert meanwhile write nothing.
    @Test func aJobInsertedInOrderTakesTheIdsItWasGiven() throws {
        let directory = try TemporaryDirectory()
        let store = try StateStore(directory: directory.path)
        let (first, firstTasks) = try store.insertJob(record(hash: "a", tasks: 2), tasks: planned(2))
        let ids = try store.nextIDs()
        #expect(ids.job == first.id + 1 && ids.task == firstTasks.last!.id + 1)
        var job = record(hash: "b", tasks: 3)
        job.id = ids.job
        let done = DispatchSemaphore(value: 0)
        let failure = Mutex<String?>(nil)
        store.insertJobInOrder(job, tasks: planned(3), firstTask: ids.task) { error in
            failure.withLock { $0 = error.map { "\($0)" } }
            done.signal()
        }
        #expect(done.wait(timeout: .now() + 30) == .success)
        #expect(failure.withLock { $0 } == nil)
        let descriptors = try StateStore.descriptors(planned(3), job: ids.job, firstID: ids.task, stage: 0)
        #expect(descriptors.map(\.id) == [ids.task, ids.task + 1, ids.task + 2])
        #expect(try store.job(ids.job)?.specHash == "b" && store.job(ids.job)?.state == .queued)
        #expect(try store.unfinishedJob(specHash: "b") == ids.job)
        let reloaded = try store.loadUnfinished().first { $0.record.id == ids.job }
        #expect(reloaded?.tasks.map(\.id) == descriptors.map(\.id))
        #expect(reloaded?.tasks.map(\.spec.bytes) == descriptors.map(\.spec.bytes))
        // The same ids again: taken, so nothing is written and the insert fails.
        var stale = record(hash: "c", tasks: 1)
        stale.id = ids.job
        store.insertJobInOrder(stale, tasks: planned(1), firstTask: ids.task) { error in
            failure.withLock { $0 = error.map { "\($0)" } }
            done.signal()
        }
        #expect(done.wait(timeout: .now() + 30) == .success)
        #expect(failure.withLock { $0 }?.contains("the next are job \(ids.job + 1)") == true)
        #expect(try store.unfinishedJob(specHash: "c") == nil)
        #expect(try store.nextIDs() == (ids.job + 1, ids.task + 3))
    }

    /// Status and logs read what is committed without queueing behind the writes: a poll must not stall the
    /// coordinator's engine behind a checkpoint or a pipeline of batches.
    @Test func statusReadsDoNotWaitForQueuedWrites() throws {
        let directory = try TemporaryDirectory()
        let store = try StateStore(directory: directory.path)
        let (job, tasks) = try store.insertJob(record(tasks: 2), tasks: planned(2))
        let start = AttemptStart(task: TaskRef(taskID: tasks[0].id, attempt: 1), job: job.id, kind: "noop",
                                 timeoutMs: 0, spec: tasks[0].spec, speculative: false)
        let writing = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let written = DispatchSemaphore(value: 0)
        // The store's queue is held inside a queued write until the reads below are done.
        store.applyInOrder([.start(worker: "w1", attempts: [start])], if: {
            writing.signal()
            return release.wait(timeout: .now() + 30) == .success
        }) { _ in written.signal() }
        #expect(writing.wait(timeout: .now() + 30) == .success)
        #expect(try store.job(job.id)?.state == .queued)
        #expect(try store.jobs().map(\.id) == [job.id])
        #expect(try store.attempts(ofTask: tasks[0].id).isEmpty)
        #expect(try store.taskDetail(tasks[1].id, job: job.id)?.index == 1)
        #expect(try store.counters(ofJob: job.id).isEmpty)
        release.signal()
        #expect(written.wait(timeout: .now() + 30) == .success)
        // Committed: now the reads see it.
        #expect(try store.attempts(ofTask: tasks[0].id).map(\.worker) == ["w1"])
        #expect(try store.job(job.id)?.state == .running)
    }

    /// A commit writes its attempt's ending and no state row: the ending alone says the task succeeded — after a
    /// reopen, in a task's detail and in the committed bytes — also over an older state row (a failed first
    /// attempt). A success without a committed attempt (a shard found in place at reload) writes its row.
    @Test func aCommittedAttemptAloneSaysItsTaskSucceeded() throws {
        let directory = try TemporaryDirectory()
        let jobID: JobID
        let ids: [TaskID]
        do {
            let store = try StateStore(directory: directory.path)
            let (job, tasks) = try store.insertJob(record(tasks: 4), tasks: planned(4))
            jobID = job.id
            ids = tasks.map(\.id)
            func attempt(_ task: Int, _ number: UInt32) -> TaskRef { TaskRef(taskID: ids[task], attempt: number) }
            func start(_ ref: TaskRef) -> SchedulerDirective {
                .start(worker: "w1", attempts: [AttemptStart(task: ref, job: job.id, kind: "noop", timeoutMs: 0,
                                                             spec: Frame([UInt8]()), speculative: false)])
            }
            func ended(_ ref: TaskRef, _ ending: AttemptEnding) -> SchedulerDirective {
                .attemptEnded(AttemptRecord(task: ref, job: job.id, worker: "w1", ending: ending, exitStatus: 0))
            }
            try store.apply([start(attempt(0, 1)), start(attempt(2, 1)), start(attempt(3, 1))])
            try store.apply([
                // Task 0 commits first time.
                ended(attempt(0, 1), .succeeded),
                .taskChanged(task: ids[0], job: job.id, state: .succeeded, failures: 0),
                // Task 1's shard was found committed at a reload: no attempt says so.
                .taskChanged(task: ids[1], job: job.id, state: .succeeded, failures: 0),
                // Task 2 fails once, then commits its second attempt.
                ended(attempt(2, 1), .failed),
                .taskChanged(task: ids[2], job: job.id, state: .queued, failures: 1),
            ])
            try store.apply([start(attempt(2, 2))])
            try store.apply([
                ended(attempt(2, 2), .succeeded),
                .taskChanged(task: ids[2], job: job.id, state: .succeeded, failures: 1),
            ])
            // Task 3 stays running.
            let rows = try store.query { db in
                try Int64.fetchAll(db, sql: "SELECT id FROM task_states ORDER BY id").map(TaskID.init)
            }
            #expect(rows == [ids[1], ids[2]])  // task 2's is its older row: queued, 1 failure
        }
        let reopened = try StateStore(directory: directory.path)
        let job = try #require(try reopened.loadUnfinished().first)
        #expect(job.tasks.map(\.state) == [.succeeded, .succeeded, .succeeded, .running])
        #expect(job.tasks.map(\.failures) == [0, 0, 1, 0])
        #expect(job.tasks.map(\.lastAttempt) == [1, 0, 2, 1])
        #expect(job.leases.map(\.attempt) == [TaskRef(taskID: ids[3], attempt: 1)])
        #expect(try reopened.taskDetail(ids[0], job: jobID)?.state == .succeeded)
        #expect(try reopened.taskDetail(ids[2], job: jobID)?.state == .succeeded)
        #expect(try reopened.taskDetail(ids[3], job: jobID)?.state == .queued)
        // Input bytes are 10 × the shard index: tasks 0, 1 and 2 committed.
        #expect(try reopened.committedInputBytes(ofJob: jobID) == 0 + 10 + 20)
    }

    @Test func runningLeasesAndTaskStatesSurviveAReopen() throws {
        let directory = try TemporaryDirectory()
        let jobID: JobID
        let taskIDs: [TaskID]
        do {
            let store = try StateStore(directory: directory.path)
            let (job, tasks) = try store.insertJob(record(tasks: 3), tasks: planned(3))
            jobID = job.id
            taskIDs = tasks.map(\.id)
            let starts = tasks.map { task in
                AttemptStart(task: TaskRef(taskID: task.id, attempt: 1), job: job.id, kind: "noop", timeoutMs: 0,
                             spec: task.spec, speculative: false)
            }
            let done = TaskRef(taskID: tasks[0].id, attempt: 1)
            let failed = TaskRef(taskID: tasks[1].id, attempt: 1)
            try store.apply([
                .start(worker: "w1", attempts: starts),
                .attemptEnded(AttemptRecord(task: done, job: job.id, worker: "w1", ending: .succeeded, exitStatus: 0,
                                            counters: [Counter(name: "rows", value: 7)])),
                .taskChanged(task: done.taskID, job: job.id, state: .succeeded, failures: 0),
                .attemptEnded(AttemptRecord(task: failed, job: job.id, worker: "w1", ending: .failed,
                                            error: "exit 2", exitStatus: 2, logTail: "boom")),
                .taskChanged(task: failed.taskID, job: job.id, state: .queued, failures: 1),
            ])
        }
        let reopened = try StateStore(directory: directory.path)
        let jobs = try reopened.loadUnfinished()
        #expect(jobs.count == 1)
        let job = try #require(jobs.first)
        #expect(job.record.id == jobID)
        #expect(job.record.state == .running)
        #expect(job.tasks.map(\.state) == [.succeeded, .queued, .running])
        #expect(job.tasks.map(\.lastAttempt) == [1, 1, 1])
        #expect(job.tasks.map(\.failures) == [0, 1, 0])
        #expect(job.leases == [ReloadedLease(attempt: TaskRef(taskID: taskIDs[2], attempt: 1), worker: "w1",
                                             startedAt: job.leases.first?.startedAt ?? 0)])
        let attempts = try reopened.attempts(ofTask: taskIDs[1])
        #expect(attempts.first?.ending == .failed)
        #expect(attempts.first?.logTail == "boom")
        #expect(try reopened.counters(ofJob: jobID) == ["rows": 7])
    }

    @Test func finishedJobsAreNotReloaded() throws {
        let directory = try TemporaryDirectory()
        let store = try StateStore(directory: directory.path)
        let (job, _) = try store.insertJob(record(tasks: 1), tasks: planned(1))
        try store.apply([.jobChanged(job: job.id, state: .succeeded, error: nil)])
        #expect(try store.loadUnfinished().isEmpty)
        #expect(try store.job(job.id)?.finishedAt != nil)
        #expect(try store.unfinishedJob(specHash: "h1") == nil)
    }

    /// Ids arrive from the network; SQLite integers stop at `Int64.max`. Beyond it nothing exists — no trap.
    @Test func idsBeyondSQLiteIntegersNameNothing() throws {
        let directory = try TemporaryDirectory()
        let store = try StateStore(directory: directory.path)
        let (job, tasks) = try store.insertJob(record(tasks: 1), tasks: planned(1))
        #expect(try store.job(.max) == nil)
        #expect(try store.job(UInt64(Int64.max) + 1) == nil)
        #expect(try store.taskDetail(.max, job: job.id) == nil)
        #expect(try store.taskDetail(tasks[0].id, job: .max) == nil)
        #expect(try store.attempts(ofTask: .max).isEmpty)
        #expect(try store.taskID(job: .max, index: 0) == nil)
        #expect(try store.taskID(job: job.id, index: 0) == tasks[0].id)
    }

    @Test func batchesQueuedInOrderCommitInOrderAndLaterReadsSeeThem() throws {
        let directory = try TemporaryDirectory()
        let store = try StateStore(directory: directory.path)
        let (job, tasks) = try store.insertJob(record(tasks: 40), tasks: planned(40))
        let outcomes = Mutex<[Int]>([])
        // Each task's attempt starts in one batch and succeeds in the next: a later batch that ran first would
        // find no attempt row to end, and the task would not read back as succeeded.
        for (number, task) in tasks.enumerated() {
            let ref = TaskRef(taskID: task.id, attempt: 1)
            store.applyInOrder([.start(worker: "w", attempts: [AttemptStart(
                task: ref, job: job.id, kind: "noop", timeoutMs: 0, spec: task.spec, speculative: false)])]) { error in
                outcomes.withLock { $0.append(error == nil ? 2 * number : -1) }
            }
            store.applyInOrder([
                .attemptEnded(AttemptRecord(task: ref, job: job.id, worker: "w", ending: .succeeded, exitStatus: 0)),
                .taskChanged(task: task.id, job: job.id, state: .succeeded, failures: 0),
            ]) { error in
                outcomes.withLock { $0.append(error == nil ? 2 * number + 1 : -1) }
            }
        }
        // Waiting for the queue: everything queued before is committed, and what status reads sees it.
        try store.waitForQueuedWrites()
        #expect(outcomes.withLock { $0 } == Array(0..<80))
        #expect(try store.attempts(ofTask: tasks[39].id).map(\.ending) == [.succeeded])
        for task in tasks {
            #expect(try store.taskDetail(task.id, job: job.id)?.state == .succeeded)
        }
    }
}
