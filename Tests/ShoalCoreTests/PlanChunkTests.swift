import Foundation
import GRDB
@testable import ShoalCore
import ShoalProtocol
import ShoalTestSupport
import Testing
import ZeroMQ

/// A stage's plan kept in chunks (`plans`) and its tasks' changes apart (`task_states`), on real SQLite files.
@Suite struct PlanChunkTests {
    @Test func aChunkGivesBackWhatWasPlannedAndSharesRepeatedSpecs() throws {
        let tasks = [
            PlannedTask(index: 7, label: "a.csv [0, 10)", spec: [1, 2, 3], inputBytes: 10),
            PlannedTask(index: 8, label: "a.csv [10, 20)", spec: [1, 2, 3], inputBytes: 10),
            PlannedTask(index: 9, label: "", spec: [], inputBytes: 0),
            PlannedTask(index: -1, label: "step ✓", spec: [9, 9], inputBytes: UInt64.max, ephemeral: true),
            PlannedTask(index: 10, label: "b", spec: [4], inputBytes: 1),
        ]
        let blob = PlanChunk.encode(tasks)
        var read: [PlanChunk.Entry] = []
        try PlanChunk.decode(Data(blob), first: 1, count: tasks.count) { _, entry in read.append(entry) }
        #expect(read.map(\.index) == [7, 8, 9, -1, 10])
        #expect(read.map(\.label) == ["a.csv [0, 10)", "a.csv [10, 20)", "", "step ✓", "b"])
        // An ephemeral task's spec is not kept (its kind plans it again after a restart).
        #expect(read.map(\.spec) == [[1, 2, 3], [1, 2, 3], [], [], [4]])
        #expect(read.map(\.inputBytes) == [10, 10, 0, UInt64.max, 1])
        // The second task's spec is a 4-byte "as before" instead of its bytes again.
        let repeated = PlanChunk.encode(Array(repeating: tasks[0], count: 2))
        let single = PlanChunk.encode([tasks[0]])
        #expect(repeated.count == single.count + (8 + 8 + 4 + tasks[0].label.utf8.count + 4))
    }

    @Test func aDamagedChunkIsAnErrorNamingIt() throws {
        let blob = PlanChunk.encode([PlannedTask(index: 0, label: "x", spec: [1], inputBytes: 0)])
        for damaged in [Array(blob.dropLast()), blob + [0], [2] + blob.dropFirst(), []] {
            #expect {
                try PlanChunk.decode(Data(damaged), first: 42, count: 1, job: 3) { _, _ in }
            } throws: { error in
                String(describing: error).contains("plan chunk 42 of job 3")
            }
        }
        // Asking for more tasks than it holds is damage too.
        #expect(throws: StoreCorruption.self) { try PlanChunk.decode(Data(blob), first: 1, count: 2) { _, _ in } }
    }

    /// More tasks than a chunk holds: every task keeps its id, shard index, spec and state through a reopen, and
    /// the queries that read a single task find it in whichever chunk it lies.
    @Test func aJobOfManyChunksReloadsTaskByTask() throws {
        let directory = try TemporaryDirectory()
        let count = PlanChunk.capacity * 2 + 5
        let planned = (0..<count).map {
            PlannedTask(index: $0, label: "shard \($0)", spec: $0 % 3 == 0 ? [1] : [UInt8($0 % 251), 2], inputBytes: UInt64($0))
        }
        let jobID: JobID
        let ids: [TaskID]
        let store = try StateStore(directory: directory.path)
        let (job, tasks) = try store.insertJob(StateStoreTests().record(tasks: count), tasks: planned)
        jobID = job.id
        ids = tasks.map(\.id)
        #expect(zip(ids, ids.dropFirst()).allSatisfy { $1 == $0 + 1 })
        let succeeded = [0, PlanChunk.capacity - 1, PlanChunk.capacity, count - 1]
        try store.apply(succeeded.map { .taskChanged(task: ids[$0], job: jobID, state: .succeeded, failures: 0) }
            + [.taskChanged(task: ids[5], job: jobID, state: .queued, failures: 2)])
        try store.apply([.start(worker: "w1", attempts: [
            AttemptStart(task: TaskRef(taskID: ids[PlanChunk.capacity + 1], attempt: 3), job: jobID, kind: "noop",
                         timeoutMs: 0, spec: tasks[PlanChunk.capacity + 1].spec, speculative: false),
        ])])

        let reopened = try StateStore(directory: directory.path)
        let reloaded = try #require(try reopened.loadUnfinished().first)
        #expect(reloaded.tasks.map(\.id) == ids)
        #expect(reloaded.tasks.map(\.index) == Array(0..<count))
        #expect(reloaded.tasks.map(\.spec.bytes) == planned.map(\.spec))
        #expect(reloaded.tasks.map(\.label) == planned.map(\.label))
        let states = Dictionary(uniqueKeysWithValues: reloaded.tasks.map { ($0.index, $0.state) })
        #expect(succeeded.allSatisfy { states[$0] == .succeeded })
        #expect(states[PlanChunk.capacity + 1] == .running && states[1] == .queued)
        #expect(reloaded.tasks[5].failures == 2 && reloaded.tasks[PlanChunk.capacity + 1].lastAttempt == 3)
        #expect(reloaded.leases == [ReloadedLease(
            attempt: TaskRef(taskID: ids[PlanChunk.capacity + 1], attempt: 3), worker: "w1",
            startedAt: reloaded.leases.first?.startedAt ?? 0)])
        #expect(try reopened.committedInputBytes(ofJob: jobID) == UInt64(succeeded.reduce(0, +)))

        let detail = try #require(try reopened.taskDetail(ids[PlanChunk.capacity], job: jobID))
        #expect(detail.index == PlanChunk.capacity && detail.label == "shard \(PlanChunk.capacity)")
        #expect(detail.state == .succeeded)
        #expect(try reopened.taskDetail(ids[5], job: jobID)?.failures == 2)
        #expect(try reopened.taskDetail(ids[5], job: jobID + 1) == nil)
        #expect(try reopened.taskDetail(ids[count - 1] + 1, job: jobID) == nil)
        #expect(try reopened.taskID(job: jobID, index: count - 1) == ids[count - 1])
        #expect(try reopened.taskID(job: jobID, index: count) == nil)

        // Ids go on after the highest planned, across reopenings.
        let (_, next) = try reopened.insertJob(StateStoreTests().record(hash: "h2", tasks: 1), tasks: Array(planned.prefix(1)))
        #expect(next.map(\.id) == [ids[count - 1] + 1])
    }

    @Test func aStagePlannedTwiceOrAShardIndexRepeatedIsRefused() throws {
        let directory = try TemporaryDirectory()
        let store = try StateStore(directory: directory.path)
        let twice = [PlannedTask(index: 1, label: "a", spec: []), PlannedTask(index: 1, label: "b", spec: [])]
        #expect {
            try store.insertJob(StateStoreTests().record(tasks: 2), tasks: twice)
        } throws: { error in
            String(describing: error).contains("shard index 1 is planned twice")
        }
        // Nothing of the refused job was kept.
        #expect(try store.jobs().isEmpty)
    }

    /// A state directory written before plans were chunked (schema v6: a row per task) opens with every task as
    /// it was: its id, shard index, label, spec, state and failures, and its running attempt (v8: in a run).
    @Test func aStateDirectoryFromBeforeChunksIsMigrated() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("state.sqlite")
        do {
            let queue = try DatabaseQueue(path: path)
            try StateStore.migrator.migrate(queue, upTo: "v6: lean per-task rows")
            try queue.write { db in
                try db.execute(sql: """
                    UPDATE coordinator SET epoch = 4;
                    INSERT INTO jobs (id, name, kind, priority, max_attempts, hang_timeout_ms, speculation, state,
                        source, working_directory, spec_hash, task_count, submitted_at, stage, more_stages)
                    VALUES (3, 'old', 'noop', 0, 3, 60000, 0, 'running', 'x.yaml', '/w', 'h', 4, 1.0, 1, 0);
                    INSERT INTO tasks (id, job_id, stage, idx, label, spec, input_bytes, state, failures) VALUES
                        (10, 3, 0, 0, 's0', x'', 5, 'succeeded', 0),
                        (11, 3, 0, 1, 's1', x'', 6, 'succeeded', 1),
                        (12, 3, 1, 0, 't0', x'0102', 7, 'queued', 2),
                        (13, 3, 1, 1, 't1', x'0102', 8, 'queued', 0);
                    INSERT INTO attempts (task_id, attempt, job_id, worker, speculative, started_at)
                        VALUES (13, 1, 3, 'w9', 0, 2.0);
                    """)
            }
        }
        let store = try StateStore(directory: directory.path)
        #expect(store.epoch == 5)
        let job = try #require(try store.loadUnfinished().first)
        #expect(job.record.id == 3)
        #expect(job.tasks.map(\.id) == [10, 11, 12, 13])
        #expect(job.tasks.map(\.stage) == [0, 0, 1, 1] && job.tasks.map(\.index) == [0, 1, 0, 1])
        #expect(job.tasks.map(\.label) == ["s0", "s1", "t0", "t1"])
        #expect(job.tasks.map(\.spec.bytes) == [[], [], [1, 2], [1, 2]])
        #expect(job.tasks.map(\.state) == [.succeeded, .succeeded, .queued, .running])
        #expect(job.tasks.map(\.failures) == [0, 1, 2, 0])
        #expect(job.leases.map(\.worker) == ["w9"])
        // v8: the running attempt moved into a started run, with its start time, and out of `attempts`.
        #expect(job.leases.map(\.startedAt) == [2.0] && job.leases.map(\.attempt) == [TaskRef(taskID: 13, attempt: 1)])
        #expect(try store.query { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM attempts") } == 0)
        #expect(try store.attempts(ofTask: 13).map(\.worker) == ["w9"])
        #expect(try store.committedInputBytes(ofJob: 3) == 11)
        #expect(try store.taskDetail(12, job: 3)?.label == "t0")
        // New tasks are numbered after the migrated ones.
        let (_, tasks) = try store.insertJob(StateStoreTests().record(tasks: 1), tasks: [PlannedTask(index: 0, label: "n", spec: [])])
        #expect(tasks.map(\.id) == [14])
    }
}
