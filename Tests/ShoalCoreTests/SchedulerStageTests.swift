import ShoalCore
import ShoalProtocol
import Testing
import ZeroMQ

/// Jobs planned in stages: a stage's last commit says `.stageCompleted` once, the job waits (running, nothing
/// to dispatch) until `addStage` or `failJob`.
extension SchedulerTests {
    func stageCompletions(_ directives: [SchedulerDirective]) -> [(JobID, Int)] {
        directives.compactMap { if case .stageCompleted(let job, let stage) = $0 { (job, stage) } else { nil } }
    }

    @Test func aStagedJobWaitsForItsNextStageThenSucceeds() {
        var s = scheduler()
        let (descriptor, first) = job(1, tasks: 2)
        _ = s.addJob(descriptor, tasks: first, moreStages: true)
        _ = register(&s, "a", slots: 4, at: at(0))
        var all: [SchedulerDirective] = []
        for attempt in starts(s.dispatch(now: at(0)))["a"]! { all += succeed(&s, attempt, on: "a", at: at(1)) }
        #expect(stageCompletions(all).map(\.0) == [1] && stageCompletions(all).map(\.1) == [0])
        #expect(jobStates(all).isEmpty, "the job neither succeeded nor failed between its stages")
        #expect(s.dispatch(now: at(1)).isEmpty)
        // A late duplicate result does not complete the stage again.
        #expect(stageCompletions(s.result(TaskResult(task: TaskRef(taskID: 1000, attempt: 1), outcome: .succeeded),
                                          from: "a", now: at(2))).isEmpty)

        // The next stage reuses the shard indices, with new task ids.
        let second = (0..<2).map { TaskDescriptor(id: 2000 + TaskID($0), index: $0, label: "main \($0)", spec: Frame([9]), stage: 1) }
        #expect(s.addStage(1, tasks: second, moreStages: false).isEmpty)
        #expect(s.addStage(1, tasks: second, moreStages: false).isEmpty, "a stage is added once")
        let started = starts(s.dispatch(now: at(3)))["a"]!
        #expect(Set(started.map(\.taskID)) == [2000, 2001])
        all = []
        for attempt in started { all += succeed(&s, attempt, on: "a", at: at(4)) }
        let commits: [AttemptCommit] = all.compactMap { if case .commit(let c) = $0 { c } else { nil } }
        #expect(commits.map(\.stage) == [1, 1])
        #expect(stageCompletions(all).isEmpty)
        #expect(jobStates(all).map(\.1) == [.succeeded])
    }

    @Test func anEmptyNextStageSucceedsAtOnceAndAFailedOneFailsTheJob() {
        var s = scheduler()
        let (one, tasksOne) = job(1, tasks: 1)
        let (two, tasksTwo) = job(2, tasks: 1)
        _ = s.addJob(one, tasks: tasksOne, moreStages: true)
        _ = s.addJob(two, tasks: tasksTwo, moreStages: true)
        _ = register(&s, "a", slots: 2, at: at(0))
        var all: [SchedulerDirective] = []
        for attempt in starts(s.dispatch(now: at(0)))["a"]! { all += succeed(&s, attempt, on: "a", at: at(1)) }
        #expect(Set(stageCompletions(all).map(\.0)) == [1, 2])
        #expect(jobStates(s.addStage(1, tasks: [], moreStages: false)).map(\.1) == [.succeeded])
        let failed = jobStates(s.failJob(2, error: "statistics unreadable"))
        #expect(failed.map(\.1) == [.failed] && failed.first?.2 == "statistics unreadable")
        #expect(s.addStage(2, tasks: [], moreStages: false).isEmpty, "a failed job takes no stage")
    }

    @Test func aReloadedJobWhoseStageHadCompletedSaysSoAgain() {
        // The coordinator died after the stage's last commit but before the next stage was stored.
        var s = scheduler()
        let (descriptor, tasks) = job(1, tasks: 2)
        let done = tasks.map { var t = $0; t.state = .succeeded; return t }
        let directives = s.addJob(descriptor, tasks: done, state: .running, stage: 0, moreStages: true)
        #expect(stageCompletions(directives).map(\.1) == [0])
        #expect(jobStates(directives).isEmpty)
    }
}
