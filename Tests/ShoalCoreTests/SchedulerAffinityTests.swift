import ShoalCore
import ShoalProtocol
import Testing
import ZeroMQ

/// Task affinity: a training job's tasks of one shard keep going to the worker that ran that shard before —
/// unless it is gone or busy, when the task (and the affinity) moves.
extension SchedulerTests {
    func affineTasks(stage: Int, ids: TaskID, shards: [Int]) -> [TaskDescriptor] {
        shards.enumerated().map { index, shard in
            TaskDescriptor(
                id: ids + TaskID(index), index: index, label: "shard \(shard)", spec: Frame([1]), stage: stage,
                affinity: shard)
        }
    }

    /// Which worker started which shard, from one dispatch.
    func shardsByWorker(_ directives: [SchedulerDirective], tasks: [TaskDescriptor]) -> [WorkerID: Set<Int>] {
        var byWorker: [WorkerID: Set<Int>] = [:]
        for (worker, attempts) in starts(directives) {
            for attempt in attempts {
                byWorker[worker, default: []].insert(tasks.first { $0.id == attempt.taskID }!.affinity!)
            }
        }
        return byWorker
    }

    @Test func aShardsNextTasksGoToTheWorkerThatRanIt() {
        var s = scheduler()
        let (descriptor, _) = job(1, tasks: 0)
        let first = affineTasks(stage: 0, ids: 100, shards: [0, 1, 2, 3])
        _ = s.addJob(descriptor, tasks: first, moreStages: true)
        _ = register(&s, "a", slots: 2, at: at(0))
        _ = register(&s, "b", slots: 2, at: at(0))
        let initial = s.dispatch(now: at(0))
        let owners = shardsByWorker(initial, tasks: first)
        #expect(owners.values.map(\.count).sorted() == [2, 2], "\(owners)")
        for (worker, attempts) in starts(initial) {
            for attempt in attempts { _ = succeed(&s, attempt, on: worker, at: at(1)) }
        }
        // The next stage lists the shards in another order, and some twice as often: each still goes home.
        for stage in 1...3 {
            let next = affineTasks(stage: stage, ids: TaskID(1000 * stage), shards: [3, 1, 2, 0])
            _ = s.addStage(1, tasks: next, moreStages: true)
            let directives = s.dispatch(now: at(Double(2 * stage)))
            #expect(shardsByWorker(directives, tasks: next) == owners, "stage \(stage)")
            for (worker, attempts) in starts(directives) {
                for attempt in attempts { _ = succeed(&s, attempt, on: worker, at: at(Double(2 * stage + 1))) }
            }
        }
    }

    @Test func aShardMovesWhenItsWorkerIsBusyOrGone() {
        var s = scheduler()
        let (descriptor, _) = job(1, tasks: 0)
        let first = affineTasks(stage: 0, ids: 100, shards: [0, 1])
        _ = s.addJob(descriptor, tasks: first, moreStages: true)
        _ = register(&s, "a", slots: 1, at: at(0))
        _ = register(&s, "b", slots: 1, at: at(0))
        let initial = s.dispatch(now: at(0))
        for (worker, attempts) in starts(initial) {
            for attempt in attempts { _ = succeed(&s, attempt, on: worker, at: at(1)) }
        }
        let owners = shardsByWorker(initial, tasks: first)
        let ownerOfZero = owners.first { $0.value.contains(0) }!.key
        let other: WorkerID = ownerOfZero == "a" ? "b" : "a"
        // Shard 0 twice and shard 1 once: each worker takes its own, the second shard-0 task waits for its owner.
        let next = affineTasks(stage: 1, ids: 200, shards: [0, 0, 1])
        _ = s.addStage(1, tasks: next, moreStages: true)
        let round = starts(s.dispatch(now: at(2)))
        #expect(round[ownerOfZero]?.map(\.taskID) == [200] && round[other]?.map(\.taskID) == [202], "\(round)")
        // The other worker finishes while the owner is still busy: it takes the waiting shard-0 task.
        _ = succeed(&s, round[other]![0], on: other, at: at(3))
        #expect(starts(s.dispatch(now: at(3)))[other]?.map(\.taskID) == [201])
        // And owns shard 0 from now on: the old owner, once free, is not handed the next shard-0 task first.
        _ = succeed(&s, round[ownerOfZero]![0], on: ownerOfZero, at: at(4))
        let later = starts(s.dispatch(now: at(4)))
        #expect(later.isEmpty, "nothing queued: \(later)")
    }

    @Test func tasksWithoutAffinityAreUnaffected() {
        var s = scheduler()
        let (descriptor, tasks) = job(1, tasks: 4)
        _ = s.addJob(descriptor, tasks: tasks)
        _ = register(&s, "a", slots: 4, at: at(0))
        #expect(starts(s.dispatch(now: at(0)))["a"]?.count == 4)
    }
}
