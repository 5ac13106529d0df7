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
