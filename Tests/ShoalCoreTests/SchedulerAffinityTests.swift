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

/// Backup copies (`PlannedTask.backups`): started on idle workers as soon as nothing is queued, up to the allowance.
extension SchedulerTests {
    @Test func backupCopiesStartOnIdleWorkersUpToTheAllowance() {
        var s = scheduler()
        let (descriptor, _) = job(1, tasks: 0)
        let tasks = (0..<2).map {
            TaskDescriptor(id: 100 + TaskID($0), index: $0, label: "step part \($0)", spec: Frame([1]), backups: 1)
        }
        _ = s.addJob(descriptor, tasks: tasks)
        for worker in ["a", "b", "c"] { _ = register(&s, worker, slots: 1, at: at(0)) }
        let first = starts(s.dispatch(now: at(0)))
        #expect(first.values.map(\.count).reduce(0, +) == 2)
        let idle = ["a", "b", "c"].first { first[$0] == nil }!
        let copies = starts(s.tick(now: at(0.5)))
        #expect(copies.keys.sorted() == [idle] && copies[idle]?.count == 1, "\(copies)")
        #expect(copies[idle]?.first?.taskID == 100, "the task running longest (first started) gets the copy")
        #expect(starts(s.tick(now: at(0.6))).isEmpty, "one backup at a time")
        // The copy commits first: the task is done once, and the original is cancelled.
        let done = succeed(&s, copies[idle]![0], on: idle, at: at(0.7))
        #expect(done.contains { if case .cancel = $0 { true } else { false } })
    }

    @Test func withoutBackupsNothingIsCopiedBeforeItStraggles() {
        var s = scheduler()
        let (descriptor, tasks) = job(1, tasks: 2)
        _ = s.addJob(descriptor, tasks: tasks)
        for worker in ["a", "b", "c"] { _ = register(&s, worker, slots: 1, at: at(0)) }
        _ = s.dispatch(now: at(0))
        #expect(starts(s.tick(now: at(0.5))).isEmpty)
    }
}
