import Foundation
import ShoalCore
import ShoalProtocol
import ShoalTestSupport
import Testing
import ZeroMQ

extension StateStoreTests {
    @Test func aJobsStagesAreStoredAndReloadedWithTheirShardIndices() throws {
        let directory = try TemporaryDirectory()
        let jobID: JobID
        do {
            let store = try StateStore(directory: directory.path)
            var staged = record(tasks: 2)
            staged.moreStages = true
            let (job, first) = try store.insertJob(staged, tasks: planned(2))
            jobID = job.id
            #expect(job.moreStages && job.stage == 0)
            #expect(first.map(\.stage) == [0, 0])
            try store.apply(first.map { .taskChanged(task: $0.id, job: job.id, state: .succeeded, failures: 0) })
            // The same shard indices again, in stage 1: (job, stage, index) is what must be unique.
            let second = try store.insertStage(1, of: job.id, tasks: planned(2), moreStages: false)
            #expect(second.map(\.stage) == [1, 1] && second.map(\.index) == [0, 1])
            #expect(Set(second.map(\.id)).isDisjoint(with: first.map(\.id)))
            #expect(throws: (any Error).self) { try store.insertStage(1, of: job.id, tasks: planned(1), moreStages: false) }
        }
        let reloaded = try #require(try StateStore(directory: directory.path).loadUnfinished().first)
        #expect(reloaded.record.id == jobID)
        #expect(reloaded.record.stage == 1 && !reloaded.record.moreStages && reloaded.record.taskCount == 4)
        #expect(reloaded.tasks.map(\.stage) == [0, 0, 1, 1])
        #expect(reloaded.tasks.map(\.state) == [.succeeded, .succeeded, .queued, .queued])
        // The done stage's specs are dropped when the next is stored; the running stage's are kept.
        #expect(reloaded.tasks.map { $0.spec.count == 0 } == [true, true, false, false])
        #expect(reloaded.record.commitDirectory(stage: 0) == "/w/out/_stage-0")
        #expect(reloaded.record.commitDirectory(stage: 1) == "/w/out")
    }
}

extension StateStoreTests {
    /// Attachments (a step's parameters) live in memory only: the tasks hold the very frame planned, a reloaded
    /// task has none, and a task that would be stored for a restart cannot have any.
    @Test func attachmentsAreHeldInMemoryAndOnlyByEphemeralTasks() throws {
        let directory = try TemporaryDirectory()
        let store = try StateStore(directory: directory.path)
        var staged = record(tasks: 1)
        staged.moreStages = true
        let (job, first) = try store.insertJob(staged, tasks: planned(1))
        try store.apply(first.map { .taskChanged(task: $0.id, job: job.id, state: .succeeded, failures: 0) })
        let parameters = Frame(floats: [1, 2, 3, 4])
        var kept = planned(2).map { task -> PlannedTask in
            var task = task
            task.attachments = [parameters]
            return task
        }
        #expect(throws: StageError.self) { try store.insertStage(1, of: job.id, tasks: kept, moreStages: true) }
        for index in kept.indices { kept[index].ephemeral = true }
        let stage = try store.insertStage(1, of: job.id, tasks: kept, moreStages: true)
        #expect(stage.allSatisfy { $0.attachments == [parameters] })
        let reloaded = try #require(try StateStore(directory: directory.path).loadUnfinished().first)
        #expect(reloaded.tasks.filter { $0.stage == 1 }.count == 2)
        #expect(reloaded.tasks.allSatisfy { $0.attachments.isEmpty })
    }
}
