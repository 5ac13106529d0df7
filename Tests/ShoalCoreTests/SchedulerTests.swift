import ShoalCore
import ShoalProtocol
import Testing
import ZeroMQ

/// The scheduler as a pure state machine: events in, directives out, time from a fake clock.
@Suite struct SchedulerTests {
    let t0 = ContinuousClock.now

    func at(_ seconds: Double) -> ContinuousClock.Instant { t0.advanced(by: .milliseconds(Int64(seconds * 1000))) }

    func job(_ id: JobID, tasks count: Int, kind: String = "noop", priority: Int = 0, maxAttempts: Int = 3,
             hang: Duration = .seconds(60), timeout: Duration? = nil, speculation: Bool = true)
        -> (JobDescriptor, [TaskDescriptor])
    {
        let descriptor = JobDescriptor(
            id: id, name: "job\(id)", kind: kind, priority: priority, maxAttempts: maxAttempts, timeout: timeout,
            hangTimeout: hang, speculation: speculation)
        let tasks = (0..<count).map { TaskDescriptor(id: id * 1000 + TaskID($0), index: $0, label: "t\($0)", spec: Frame([UInt8($0 % 256)])) }
        return (descriptor, tasks)
    }

    func scheduler(speculationFactor: Double = 0, heartbeatTimeout: Duration = .seconds(5)) -> Scheduler {
        Scheduler(configuration: .init(
            heartbeatTimeout: heartbeatTimeout, speculationFactor: speculationFactor,
            speculationMinimumRuntime: .seconds(1), speculationMinimumSamples: 2))
    }

    func register(_ s: inout Scheduler, _ id: WorkerID, slots: Int, kinds: Set<String> = ["noop"],
                  held: [TaskRef] = [], at now: ContinuousClock.Instant) -> [SchedulerDirective] {
        s.register(WorkerRegistration(id: id, slots: slots, kinds: kinds, held: held), now: now)
    }

    /// The attempts started per worker by `directives`.
    func starts(_ directives: [SchedulerDirective]) -> [WorkerID: [TaskRef]] {
        var result: [WorkerID: [TaskRef]] = [:]
        for case .start(let worker, let attempts) in directives { result[worker, default: []] += attempts.map(\.task) }
        return result
    }

    func cancels(_ directives: [SchedulerDirective]) -> [WorkerID: [TaskRef]] {
        var result: [WorkerID: [TaskRef]] = [:]
        for case .cancel(let worker, let attempts, _) in directives { result[worker, default: []] += attempts }
        return result
    }

    func jobStates(_ directives: [SchedulerDirective]) -> [(JobID, JobState, String?)] {
        directives.compactMap { if case .jobChanged(let job, let state, let error) = $0 { (job, state, error) } else { nil } }
    }

    func endings(_ directives: [SchedulerDirective]) -> [TaskRef: AttemptEnding] {
        var result: [TaskRef: AttemptEnding] = [:]
        for case .attemptEnded(let record) in directives { result[record.task] = record.ending }
        return result
    }

    /// Reports success and completes the commit, as the coordinator's shell does.
    func succeed(_ s: inout Scheduler, _ attempt: TaskRef, on worker: WorkerID, at now: ContinuousClock.Instant)
        -> [SchedulerDirective]
    {
        let directives = s.result(TaskResult(task: attempt, outcome: .succeeded), from: worker, now: now)
        var all = directives
        for case .commit(let commit) in directives { all += s.committed(commit.task, now: now) }
        return all
    }

    @Test func workersNeverGetMoreThanTheirSlotsAndTasksSpread() {
        var s = scheduler()
        let (descriptor, tasks) = job(1, tasks: 10)
        _ = s.addJob(descriptor, tasks: tasks)
        _ = register(&s, "a", slots: 2, at: at(0))
        _ = register(&s, "b", slots: 3, at: at(0))
        let first = starts(s.dispatch(now: at(0)))
        #expect(first["a"]?.count == 2)
        #expect(first["b"]?.count == 3)
        #expect(starts(s.dispatch(now: at(0))).isEmpty, "no credit left")
        // One result frees one slot.
        let done = first["a"]![0]
        _ = succeed(&s, done, on: "a", at: at(1))
        #expect(starts(s.dispatch(now: at(1)))["a"]?.count == 1)
    }

    /// A dispatch with a limit starts at most that many per worker, and says whether another would start more.
    @Test func aLimitedDispatchSaysWhenMoreCouldStart() {
        var s = scheduler()
        let (descriptor, tasks) = job(1, tasks: 10)
        _ = s.addJob(descriptor, tasks: tasks)
        _ = register(&s, "a", slots: 8, at: at(0))
        var counts: [Int] = []
        var mores: [Bool] = []
        for _ in 0..<4 {
            let (directives, more) = s.dispatch(now: at(0), limit: 3)
            counts.append(starts(directives)["a"]?.count ?? 0)
            mores.append(more)
        }
        // 3 + 3 + 2 fill the 8 slots: the last stops for want of credit, not at the limit.
        #expect(counts == [3, 3, 2, 0])
        #expect(mores == [true, true, false, false])
        var t = scheduler()
        let (small, few) = job(2, tasks: 5)
        _ = t.addJob(small, tasks: few)
        _ = register(&t, "a", slots: 8, at: at(0))
        let first = t.dispatch(now: at(0), limit: 3)
        let second = t.dispatch(now: at(0), limit: 3)
        // The queue runs dry at the limit's second round: nothing more to start.
        #expect(starts(first.directives)["a"]?.count == 3 && first.more)
        #expect(starts(second.directives)["a"]?.count == 2 && !second.more)
    }

    @Test func fewTasksSpreadOverManyWorkers() {
        var s = scheduler()
        let (descriptor, tasks) = job(1, tasks: 3)
        _ = s.addJob(descriptor, tasks: tasks)
        for id in ["a", "b", "c"] { _ = register(&s, id, slots: 8, at: at(0)) }
        let started = starts(s.dispatch(now: at(0)))
        #expect(started.values.map(\.count).sorted() == [1, 1, 1])
    }

    @Test func aJobSucceedsOnceEveryTaskCommittedAndCommitsHappenOnce() {
        var s = scheduler()
        let (descriptor, tasks) = job(1, tasks: 3)
        _ = s.addJob(descriptor, tasks: tasks)
        _ = register(&s, "a", slots: 3, at: at(0))
        let started = starts(s.dispatch(now: at(0)))["a"]!
        var all: [SchedulerDirective] = []
        for attempt in started { all += succeed(&s, attempt, on: "a", at: at(1)) }
        let commits = all.filter { if case .commit = $0 { true } else { false } }
        #expect(commits.count == 3)
        #expect(jobStates(all).map(\.1) == [.succeeded])
        // A duplicate RESULT after the commit changes nothing.
        #expect(s.result(TaskResult(task: started[0], outcome: .succeeded), from: "a", now: at(2)).isEmpty)
    }

    @Test func resultsAreFencedByAttemptAndWorker() {
        var s = scheduler()
        let (descriptor, tasks) = job(1, tasks: 1)
        _ = s.addJob(descriptor, tasks: tasks)
        _ = register(&s, "a", slots: 1, at: at(0))
        _ = register(&s, "b", slots: 1, at: at(0))
        let started = starts(s.dispatch(now: at(0)))
        let (holder, attempts) = started.first!
        let other: WorkerID = holder == "a" ? "b" : "a"
        let attempt = attempts[0]
        // The wrong attempt number, and the right attempt from the wrong worker, are ignored.
        let wrongAttempt = TaskRef(taskID: attempt.taskID, attempt: attempt.attempt + 5)
        #expect(s.result(TaskResult(task: wrongAttempt, outcome: .succeeded), from: holder, now: at(1)).isEmpty)
        #expect(s.result(TaskResult(task: attempt, outcome: .succeeded), from: other, now: at(1)).isEmpty)
        // The right one from the right worker commits.
        #expect(s.result(TaskResult(task: attempt, outcome: .succeeded), from: holder, now: at(1))
            .contains { if case .commit = $0 { true } else { false } })
    }

    /// A RESULT's results taken together (`results`, the coordinator's path) decide what they decide one by one:
    /// successes, a failure, a result fenced off, and the last attempt of a draining worker, which dismisses it.
    @Test func resultsTogetherDecideWhatTheyDecideOneByOne() {
        var one = scheduler()
        let (descriptor, tasks) = job(1, tasks: 4, maxAttempts: 2)
        _ = one.addJob(descriptor, tasks: tasks)
        _ = register(&one, "a", slots: 4, at: at(0))
        let started = starts(one.dispatch(now: at(0)))["a"]!
        _ = one.drain("a")
        var together = one
        let results = [
            TaskResult(task: started[0], outcome: .succeeded),
            TaskResult(task: started[1], outcome: .failed, error: "exit 1"),
            TaskResult(task: TaskRef(taskID: started[2].taskID, attempt: 9), outcome: .succeeded),
            TaskResult(task: started[2], outcome: .succeeded),
            TaskResult(task: started[3], outcome: .succeeded),
        ]
        let oneByOne = results.flatMap { one.result($0, from: "a", now: at(1)) }
        var batch: [SchedulerDirective] = []
        together.results(results, from: "a", now: at(1), into: &batch)
        #expect(batch.map { "\($0)" } == oneByOne.map { "\($0)" })
        #expect(batch.filter { if case .commit = $0 { true } else { false } }.count == 3)
        #expect(batch.contains { if case .dismiss(worker: "a", _) = $0 { true } else { false } })
        #expect(together.liveStatus(of: 1, now: at(1)) == one.liveStatus(of: 1, now: at(1)))
    }

    /// What the coordinator's shell may pass over: only directives whose carrying out is persisting them.
    @Test func onlyQuietDirectivesSendNothing() {
        let ref = TaskRef(taskID: 1, attempt: 1)
        let ended = { (ending: AttemptEnding) in
            SchedulerDirective.attemptEnded(AttemptRecord(task: ref, job: 1, worker: "a", ending: ending))
        }
        #expect(SchedulerDirective.taskChanged(task: 1, job: 1, state: .succeeded, failures: 0).sendsNothing)
        #expect(ended(.succeeded).sendsNothing && ended(.superseded).sendsNothing)
        #expect(!ended(.failed).sendsNothing)
        #expect(!SchedulerDirective.cancel(worker: "a", attempts: [ref], reason: "r").sendsNothing)
        #expect(!SchedulerDirective.jobChanged(job: 1, state: .succeeded, error: nil).sendsNothing)
        #expect(!SchedulerDirective.start(worker: "a", attempts: []).sendsNothing)
    }

    @Test func aFailedAttemptIsRetriedWithANewAttemptNumberThenTheJobFails() {
        var s = scheduler()
        let (descriptor, tasks) = job(1, tasks: 2, maxAttempts: 2)
        _ = s.addJob(descriptor, tasks: tasks)
        _ = register(&s, "a", slots: 2, at: at(0))
        let started = starts(s.dispatch(now: at(0)))["a"]!
        let doomed = started.first { $0.taskID == 1000 }!
        let other = started.first { $0.taskID == 1001 }!

        let first = s.result(TaskResult(task: doomed, outcome: .failed, exitStatus: 3, error: "exit 3"), from: "a", now: at(1))
        #expect(endings(first)[doomed] == .failed)
        #expect(first.contains { if case .taskChanged(1000, 1, .queued, 1) = $0 { true } else { false } })
        let retry = starts(s.dispatch(now: at(1)))["a"]!
        #expect(retry == [TaskRef(taskID: 1000, attempt: 2)])

        let second = s.result(TaskResult(task: retry[0], outcome: .failed, error: "exit 3 again"), from: "a", now: at(2))
        let states = jobStates(second)
        #expect(states.count == 1)
        #expect(states.first?.1 == .failed)
        #expect(states.first?.2?.contains("exit 3 again") == true)
        #expect(states.first?.2?.contains("failed 2 times") == true)
        // The job's other running attempt is cancelled on its worker.
        #expect(cancels(second)["a"] == [other])
        // Its cancelled RESULT later only frees the slot.
        #expect(s.result(TaskResult(task: other, outcome: .cancelled), from: "a", now: at(3)).isEmpty)
    }

    @Test func aSilentWorkerIsDeclaredDeadAndItsTasksRunElsewhere() {
        var s = scheduler(heartbeatTimeout: .seconds(5))
        let (descriptor, tasks) = job(1, tasks: 2)
        _ = s.addJob(descriptor, tasks: tasks)
        _ = register(&s, "a", slots: 2, at: at(0))
        let onA = starts(s.dispatch(now: at(0)))["a"]!
        _ = register(&s, "b", slots: 2, at: at(1))
        s.seen("b", now: at(5))
        #expect(s.tick(now: at(4.9)).isEmpty, "not silent long enough yet")
        let dead = s.tick(now: at(5.5))
        #expect(dead.contains { if case .workerLeft("a", _) = $0 { true } else { false } })
        #expect(Set(endings(dead).keys) == Set(onA))
        #expect(endings(dead).values.allSatisfy { $0 == .lost })
        let onB = starts(s.dispatch(now: at(5.5)))["b"]!
        #expect(Set(onB.map(\.taskID)) == Set(onA.map(\.taskID)))
        #expect(onB.allSatisfy { $0.attempt == 2 })
        // A late result from the dead worker is ignored; B's result commits.
        #expect(s.result(TaskResult(task: onA[0], outcome: .succeeded), from: "a", now: at(6)).isEmpty)
        var all: [SchedulerDirective] = []
        for attempt in onB { all += succeed(&s, attempt, on: "b", at: at(7)) }
        #expect(jobStates(all).map(\.1) == [.succeeded])
    }

    @Test func anAttemptWhoseProgressStopsIsKilledAndRetried() {
        var s = scheduler(heartbeatTimeout: .seconds(100))
        let (descriptor, tasks) = job(1, tasks: 1, hang: .seconds(10))
        _ = s.addJob(descriptor, tasks: tasks)
        _ = register(&s, "a", slots: 2, at: at(0))
        let attempt = starts(s.dispatch(now: at(0)))["a"]![0]
        // Moving progress keeps it alive past the hang timeout.
        for second in stride(from: 2.0, through: 16.0, by: 2.0) {
            s.heartbeat(from: "a", progress: [TaskProgress(task: attempt, records: UInt64(second), bytes: 0)], now: at(second))
            #expect(s.tick(now: at(second)).isEmpty)
        }
        // Then it stops moving.
        s.heartbeat(from: "a", progress: [TaskProgress(task: attempt, records: 16, bytes: 0)], now: at(20))
        let hung = s.tick(now: at(26.5))
        #expect(endings(hung)[attempt] == .hung)
        #expect(cancels(hung)["a"] == [attempt])
        // The hung attempt still holds its slot, so only one slot is free for the retry.
        let retry = starts(s.dispatch(now: at(26.5)))["a"]!
        #expect(retry == [TaskRef(taskID: attempt.taskID, attempt: 2)])
        #expect(starts(s.dispatch(now: at(26.5))).isEmpty)
    }

    @Test func aTaskPastItsTimeoutIsKilled() {
        var s = scheduler(heartbeatTimeout: .seconds(100))
        let (descriptor, tasks) = job(1, tasks: 1, maxAttempts: 1, timeout: .seconds(3))
        _ = s.addJob(descriptor, tasks: tasks)
        _ = register(&s, "a", slots: 1, at: at(0))
        let attempt = starts(s.dispatch(now: at(0)))["a"]![0]
        let directives = s.tick(now: at(3.5))
        #expect(endings(directives)[attempt] == .timedOut)
        #expect(jobStates(directives).first?.1 == .failed)
    }

    @Test func aStragglerGetsASpeculativeCopyAndTheFirstCommitWins() {
        var s = scheduler(speculationFactor: 3, heartbeatTimeout: .seconds(100))
        let (descriptor, tasks) = job(1, tasks: 4)
        _ = s.addJob(descriptor, tasks: tasks)
        _ = register(&s, "a", slots: 4, at: at(0))
        let started = starts(s.dispatch(now: at(0)))["a"]!
        let straggler = started[3]
        for attempt in started.prefix(3) { _ = succeed(&s, attempt, on: "a", at: at(0.5)) }
        _ = register(&s, "b", slots: 1, at: at(0.5))
        s.seen("a", now: at(1))
        #expect(starts(s.tick(now: at(1.2))).isEmpty, "under the minimum runtime")
        let speculative = starts(s.tick(now: at(2)))
        let copy = try! #require(speculative["b"]?.first)
        #expect(copy.taskID == straggler.taskID && copy.attempt == straggler.attempt + 1)
        #expect(starts(s.tick(now: at(3))).isEmpty, "one copy per straggler")

        let won = succeed(&s, copy, on: "b", at: at(3))
        #expect(cancels(won)["a"] == [straggler])
        #expect(endings(won)[straggler] == .superseded)
        #expect(jobStates(won).map(\.1) == [.succeeded])
        #expect(won.filter { if case .commit = $0 { true } else { false } }.count == 1)
        // The original finishing later commits nothing.
        #expect(s.result(TaskResult(task: straggler, outcome: .succeeded), from: "a", now: at(4)).isEmpty)
    }

    @Test func equalJobsShareWorkersAndHigherPriorityGoesFirst() {
        var s = scheduler()
        let (low, lowTasks) = job(1, tasks: 10, priority: 0)
        let (other, otherTasks) = job(2, tasks: 10, priority: 0)
        _ = s.addJob(low, tasks: lowTasks)
        _ = s.addJob(other, tasks: otherTasks)
        _ = register(&s, "a", slots: 4, at: at(0))
        let shared = starts(s.dispatch(now: at(0)))["a"]!
        #expect(shared.filter { $0.taskID < 2000 }.count == 2)
        #expect(shared.filter { $0.taskID >= 2000 }.count == 2)

        let (urgent, urgentTasks) = job(3, tasks: 10, priority: 5)
        _ = s.addJob(urgent, tasks: urgentTasks)
        _ = register(&s, "b", slots: 3, at: at(1))
        let next = starts(s.dispatch(now: at(1)))["b"]!
        #expect(next.allSatisfy { $0.taskID >= 3000 })
    }

    @Test func workersOnlyGetKindsTheyRun() {
        var s = scheduler()
        let (descriptor, tasks) = job(1, tasks: 2, kind: "command")
        _ = s.addJob(descriptor, tasks: tasks)
        _ = register(&s, "a", slots: 2, kinds: ["noop"], at: at(0))
        #expect(s.dispatch(now: at(0)).isEmpty)
        _ = register(&s, "b", slots: 2, kinds: ["noop", "command"], at: at(0))
        #expect(starts(s.dispatch(now: at(0)))["b"]?.count == 2)
    }

    @Test func afterARestartAWorkerThatReconnectsKeepsWhatItStillHolds() {
        var s = scheduler(heartbeatTimeout: .seconds(5))
        let (descriptor, tasks) = job(1, tasks: 3)
        let reloaded = tasks.enumerated().map { index, task -> TaskDescriptor in
            var task = task
            task.state = index < 2 ? .running : .succeeded
            task.lastAttempt = 1
            return task
        }
        _ = s.addJob(descriptor, tasks: reloaded, state: .running)
        let kept = TaskRef(taskID: 1000, attempt: 1)
        let vanished = TaskRef(taskID: 1001, attempt: 1)
        s.restoreLease(kept, worker: "a", startedAt: at(0), now: at(0))
        s.restoreLease(vanished, worker: "a", startedAt: at(0), now: at(0))
        #expect(!s.isRegistered("a"))
        #expect(s.dispatch(now: at(0)).isEmpty, "nothing queued and no registered worker")

        let stale = TaskRef(taskID: 1002, attempt: 1)
        let joined = register(&s, "a", slots: 3, held: [kept, stale], at: at(1))
        #expect(endings(joined)[vanished] == .unreported)
        #expect(s.liveStatus(of: descriptor.id, now: at(1))?.retries == 0, "not the task's fault")
        #expect(cancels(joined)["a"] == [stale], "an attempt of a committed task is cancelled")
        let retry = starts(s.dispatch(now: at(1)))["a"]!
        #expect(retry == [TaskRef(taskID: 1001, attempt: 2)])
        var all = succeed(&s, kept, on: "a", at: at(2))
        all += succeed(&s, retry[0], on: "a", at: at(2))
        #expect(jobStates(all).map(\.1) == [.succeeded])
    }

    @Test func aRepeatedHelloDoesNotLoseWhatWasLeasedAfterTheFirst() {
        var s = scheduler()
        let (descriptor, tasks) = job(1, tasks: 4)
        _ = s.addJob(descriptor, tasks: tasks)
        _ = register(&s, "a", slots: 2, at: at(0))
        let first = starts(s.dispatch(now: at(0)))["a"]!
        #expect(first.count == 2)
        // A second HELLO sent before the TASK arrived: it holds nothing, yet nothing was lost.
        let again = register(&s, "a", slots: 2, at: at(1))
        #expect(endings(again).isEmpty, "\(again)")
        #expect(s.dispatch(now: at(1)).isEmpty, "both slots are still taken")
        // A HELLO after that one speaks for those leases: the one it lacks was lost in transit.
        let third = register(&s, "a", slots: 2, held: [first[0]], at: at(2))
        #expect(endings(third) == [first[1]: .unreported])
        #expect(s.liveStatus(of: descriptor.id, now: at(2))?.retries == 0)
        #expect(starts(s.dispatch(now: at(2)))["a"] == [TaskRef(taskID: first[1].taskID, attempt: 2)], "retried first")
    }

    @Test func aReloadedLeaseWhoseWorkerNeverReturnsIsLost() {
        var s = scheduler(heartbeatTimeout: .seconds(5))
        let (descriptor, tasks) = job(1, tasks: 1)
        var task = tasks[0]
        task.state = .running
        task.lastAttempt = 4
        _ = s.addJob(descriptor, tasks: [task], state: .running)
        s.restoreLease(TaskRef(taskID: 1000, attempt: 4), worker: "gone", startedAt: at(0), now: at(0))
        let directives = s.tick(now: at(6))
        #expect(endings(directives)[TaskRef(taskID: 1000, attempt: 4)] == .lost)
        _ = register(&s, "b", slots: 1, at: at(6))
        #expect(starts(s.dispatch(now: at(6)))["b"] == [TaskRef(taskID: 1000, attempt: 5)])
    }

    @Test func aDrainedWorkerGetsNothingNewAndIsDismissedWhenIdle() {
        var s = scheduler()
        let (descriptor, tasks) = job(1, tasks: 4)
        _ = s.addJob(descriptor, tasks: tasks)
        _ = register(&s, "a", slots: 1, at: at(0))
        let attempt = starts(s.dispatch(now: at(0)))["a"]![0]
        #expect(s.drain("a").isEmpty, "still busy")
        let finished = succeed(&s, attempt, on: "a", at: at(1))
        #expect(finished.contains { if case .dismiss("a", _) = $0 { true } else { false } })
        #expect(s.dispatch(now: at(1)).isEmpty)
        // The BYE was lost: the worker reconnects (a fresh HELLO), still draining, and holds nothing.
        _ = register(&s, "a", slots: 1, at: at(2))
        let again = s.drain("a")
        #expect(again.contains { if case .dismiss("a", _) = $0 { true } else { false } }, "dismissed again: \(again)")
    }

    @Test func aTasksEveryOpenLeaseIsRestoredAndTheFirstToCommitWins() {
        var s = scheduler(heartbeatTimeout: .seconds(5))
        let (descriptor, tasks) = job(1, tasks: 2)
        let reloaded = tasks.enumerated().map { index, task -> TaskDescriptor in
            var task = task
            task.state = index == 0 ? .running : .succeeded
            task.lastAttempt = index == 0 ? 2 : 1
            return task
        }
        _ = s.addJob(descriptor, tasks: reloaded, state: .running)
        // Attempt 1 and its speculative copy, attempt 2, were both running when the coordinator died.
        let original = TaskRef(taskID: 1000, attempt: 1)
        let copy = TaskRef(taskID: 1000, attempt: 2)
        let restored = [
            s.restoreLease(original, worker: "a", startedAt: at(0), now: at(0)),
            s.restoreLease(copy, worker: "b", startedAt: at(0), now: at(0)),
            s.restoreLease(TaskRef(taskID: 1001, attempt: 1), worker: "a", startedAt: at(0), now: at(0)),
        ]
        #expect(restored == [true, true, false], "a settled task's lease is the caller's to close")
        #expect(s.liveStatus(of: descriptor.id, now: at(0))?.counts.running == 1, "one task, two attempts")

        let joinedA = register(&s, "a", slots: 1, held: [original], at: at(1))
        let joinedB = register(&s, "b", slots: 1, held: [copy], at: at(1))
        #expect(cancels(joinedA + joinedB).isEmpty, "both copies are the coordinator's leases: \(joinedA + joinedB)")
        #expect(s.dispatch(now: at(1)).isEmpty, "nothing is queued: the task runs twice already")
        var failing = s  // the same moment, another outcome: one copy fails while the other runs
        let won = succeed(&s, copy, on: "b", at: at(2))
        #expect(cancels(won)["a"] == [original], "the other copy loses")
        #expect(endings(won)[original] == .superseded)
        #expect(jobStates(won).map(\.1) == [.succeeded])
        #expect(s.liveStatus(of: descriptor.id, now: at(2))?.retries == 0)
        // The failure is stored at once, with the task still running: a restart must not forget it.
        let failed = failing.result(TaskResult(task: original, outcome: .failed, error: "boom"), from: "a", now: at(2))
        #expect(failed.contains { if case .taskChanged(1000, _, .running, 1) = $0 { true } else { false } }, "\(failed)")
        #expect(jobStates(succeed(&failing, copy, on: "b", at: at(3))).map(\.1) == [.succeeded])
    }

    @Test func aJobStoppedWhileATaskCommitsClosesThatAttemptAndCountsIt() {
        var s = scheduler()
        let (descriptor, tasks) = job(1, tasks: 3)
        _ = s.addJob(descriptor, tasks: tasks)
        _ = register(&s, "a", slots: 3, at: at(0))
        let attempts = starts(s.dispatch(now: at(0)))["a"]!
        let result = s.result(TaskResult(task: attempts[0], outcome: .succeeded), from: "a", now: at(1))
        #expect(result.contains { if case .commit = $0 { true } else { false } })
        #expect(s.isCommitting(attempts[0]))
        // The cancel arrives in the same batch, before the shell commits the outputs.
        let stopped = s.cancelJob(descriptor.id, reason: "by the user")
        #expect(!s.isCommitting(attempts[0]), "the shell must not write its outputs")
        #expect(endings(stopped)[attempts[0]] == .cancelled, "\(stopped)")
        #expect(Set(cancels(stopped)["a"] ?? []) == Set(attempts.dropFirst()))
        let counts = s.liveStatus(of: descriptor.id, now: at(1))?.counts
        #expect(counts?.running == 0, "\(String(describing: counts))")
        #expect(counts?.cancelled == 3, "\(String(describing: counts))")
        let late = s.committed(attempts[0], now: at(1))
        #expect(late.isEmpty, "a late commit changes nothing")
        #expect(s.liveStatus(of: descriptor.id, now: at(1))?.counts == counts)
    }

    @Test func anUndeliveredTaskIsRequeuedAtOnceAndItsWorkerGetsNoMoreUntilHeardFrom() {
        var s = scheduler()
        let (descriptor, tasks) = job(1, tasks: 2, maxAttempts: 1)
        _ = s.addJob(descriptor, tasks: tasks)
        _ = register(&s, "a", slots: 1, at: at(0))
        let attempt = starts(s.dispatch(now: at(0)))["a"]![0]
        let ended = s.undelivered([attempt], to: "a", now: at(0.1))
        #expect(endings(ended)[attempt] == .unreported)
        #expect(jobStates(ended).isEmpty, "not the task's fault: max_attempts 1 is not used up")
        // Its connection is gone: a lease to it would fail again at once, over and over until the heartbeat
        // timeout.
        #expect(starts(s.dispatch(now: at(0.1))).isEmpty, "no lease to a worker whose connection is gone")
        #expect(s.workerStatuses(now: at(0.1)).first { $0.id == "a" }?.unreachable == true, "shoal workers says so")
        _ = register(&s, "b", slots: 1, at: at(0.2))
        #expect(starts(s.dispatch(now: at(0.2)))["b"] == [TaskRef(taskID: attempt.taskID, attempt: 2)],
                "the task is queued again, first")
        s.seen("a", now: at(0.3))
        #expect(s.workerStatuses(now: at(0.3)).first { $0.id == "a" }?.unreachable == nil)
        #expect(starts(s.dispatch(now: at(0.3)))["a"]?.count == 1, "heard from again, it gets its free slot's task")
        #expect(s.undelivered([attempt], to: "a", now: at(0.4)).isEmpty, "an attempt ends once")
    }

    @Test func returnedAttemptsRequeueWithoutCountingAsFailures() {
        var s = scheduler()
        let (descriptor, tasks) = job(1, tasks: 1, maxAttempts: 1)
        _ = s.addJob(descriptor, tasks: tasks)
        _ = register(&s, "a", slots: 1, at: at(0))
        let attempt = starts(s.dispatch(now: at(0)))["a"]![0]
        let left = s.bye(from: "a", returned: [attempt], reason: "SIGTERM", now: at(1))
        #expect(endings(left)[attempt] == .returned)
        #expect(jobStates(left).isEmpty, "a returned attempt does not use up max_attempts")
        _ = register(&s, "b", slots: 1, at: at(1))
        #expect(starts(s.dispatch(now: at(1)))["b"] == [TaskRef(taskID: attempt.taskID, attempt: 2)])
    }

    @Test func cancellingAJobCancelsItsAttemptsAndDropsItsQueue() {
        var s = scheduler()
        let (descriptor, tasks) = job(1, tasks: 5)
        _ = s.addJob(descriptor, tasks: tasks)
        _ = register(&s, "a", slots: 2, at: at(0))
        let running = starts(s.dispatch(now: at(0)))["a"]!
        let directives = s.cancelJob(1, reason: "user")
        #expect(Set(cancels(directives)["a"] ?? []) == Set(running))
        #expect(jobStates(directives).map(\.1) == [.cancelled])
        #expect(s.dispatch(now: at(1)).isEmpty)
        #expect(s.cancelJob(1, reason: "again").isEmpty)
    }

    @Test func commitFailureCountsAsAFailedAttempt() {
        var s = scheduler()
        let (descriptor, tasks) = job(1, tasks: 1)
        _ = s.addJob(descriptor, tasks: tasks)
        _ = register(&s, "a", slots: 1, at: at(0))
        let attempt = starts(s.dispatch(now: at(0)))["a"]![0]
        let directives = s.result(TaskResult(task: attempt, outcome: .succeeded), from: "a", now: at(1))
        #expect(directives.contains { if case .commit = $0 { true } else { false } })
        let failed = s.commitFailed(attempt, error: "No space left on device", now: at(1))
        #expect(endings(failed)[attempt] == .failed)
        #expect(starts(s.dispatch(now: at(1)))["a"] == [TaskRef(taskID: attempt.taskID, attempt: 2)])
    }

    /// Status shows the longest-running attempts first (ties by task id), at most `limit`, from thousands running.
    @Test func statusShowsTheOldestRunningAttemptsFirst() {
        var s = scheduler()
        let (descriptor, tasks) = job(1, tasks: 300)
        _ = s.addJob(descriptor, tasks: tasks)
        // Started in three waves: by worker a at 0 s, b at 1 s, c at 2 s, each taking tasks in queue order.
        var startedAt: [TaskID: Double] = [:]
        for (worker, time, slots) in [("b", 1.0, 40), ("a", 0.0, 7), ("c", 2.0, 100)].sorted(by: { $0.1 < $1.1 }) {
            let started = starts(register(&s, worker, slots: slots, at: at(time)) + s.dispatch(now: at(time)))[worker] ?? []
            #expect(started.count == slots)
            for ref in started { startedAt[ref.taskID] = time }
        }
        let expected = startedAt.sorted { ($0.value, $0.key) < ($1.value, $1.key) }.map(\.key)
        for limit in [0, 1, 7, 20, 46, 147, 500] {
            let status = s.liveStatus(of: 1, now: at(3), limit: limit)
            #expect(status?.running.map(\.task) == Array(expected.prefix(limit)), "limit \(limit)")
            #expect(status?.counts.running == 147)
        }
        let first = s.liveStatus(of: 1, now: at(3), limit: 1)?.running.first
        #expect(first?.seconds == 3 && first?.worker == "a" && first?.label == "t\(expected[0] - 1000)")
    }
}
