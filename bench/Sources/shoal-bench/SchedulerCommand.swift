import ArgumentParser
import Foundation
import ShoalCore
import ShoalProtocol
import ZeroMQ

/// `shoal-bench scheduler`: the coordinator's per-task work without sockets or disk — the scheduler's decisions
/// (dispatch, result, commit) and the wire codec (TASK encoded, RESULT decoded) for a job of no-op tasks on two
/// workers of many slots, in µs per task per phase. The scheduling benchmark (`bench/scheduling.sh`) measures the
/// whole path; this isolates the in-memory share of it, as `shoal-bench store` isolates the store's.
struct SchedulerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scheduler",
        abstract: "Time the scheduler's and the codec's per-task work (add, dispatch, encode, decode, result, commit).")

    @Option(help: "Tasks per job.")
    var tasks = 100_000
    @Option(help: "Workers.")
    var workers = 2
    @Option(help: "Slots per worker.")
    var slots = 256
    @Option(help: "Jobs, each on a fresh scheduler; the fastest is reported.")
    var rounds = 5

    func run() throws {
        var best: [String: Double] = [:]
        for round in 0..<rounds {
            let times = try measure()
            let total = times.values.reduce(0, +)
            print("scheduler round=\(round + 1) " + Self.phases.map { "\($0)_us=\(format(times[$0] ?? 0, 3))" }
                .joined(separator: " ") + " total_us=\(format(total, 3))")
            if best.isEmpty || best.values.reduce(0, +) > total { best = times }
        }
        print("scheduler best tasks=\(tasks) workers=\(workers) slots=\(slots) "
            + Self.phases.map { "\($0)_us=\(format(best[$0] ?? 0, 3))" }.joined(separator: " ")
            + " total_us=\(format(best.values.reduce(0, +), 3))")
    }

    static let phases = ["add", "dispatch", "encode", "decode", "result", "commit"]

    /// One job run to its end, each phase's time summed, in µs per task.
    func measure() throws -> [String: Double] {
        var scheduler = Scheduler(configuration: .init(speculationFactor: 0))
        let now = ContinuousClock.now
        let spec = Frame([UInt8]())
        let descriptors = (0..<tasks).map {
            TaskDescriptor(id: TaskID($0 + 1), index: $0, label: "noop \($0)", spec: spec)
        }
        var seconds: [String: Double] = [:]
        let added = MonotonicClock.now()
        _ = scheduler.addJob(
            JobDescriptor(id: 1, name: "bench", kind: "noop", speculation: false), tasks: descriptors)
        seconds["add"] = MonotonicClock.now() - added
        for index in 0..<workers {
            _ = scheduler.register(WorkerRegistration(id: "worker-\(index)", slots: slots, kinds: ["noop"]), now: now)
        }
        var finished = 0
        var rounds = 0
        while finished < tasks {
            rounds += 1
            guard rounds < 10 * tasks else { throw ValidationError("the scheduler stopped dispatching") }
            var clock = MonotonicClock.now()
            let directives = scheduler.dispatch(now: now)
            seconds["dispatch", default: 0] += MonotonicClock.now() - clock
            for case .start(let worker, let attempts) in directives {
                clock = MonotonicClock.now()
                let batch = TaskBatch(attempts.map {
                    TaskAssignment(task: $0.task, jobID: $0.job, kind: $0.kind, timeoutMs: $0.timeoutMs, spec: $0.spec)
                })
                let taskFrames = [Frame(worker)] + ShoalCodec.encode(batch)
                seconds["encode", default: 0] += MonotonicClock.now() - clock
                // What a worker answers: every attempt succeeded, in one RESULT.
                let results = ShoalCodec.encode(ResultBatch(attempts.map { TaskResult(task: $0.task, outcome: .succeeded) }))
                clock = MonotonicClock.now()
                guard case .result(let decoded) = try ShoalCodec.decode(results) else {
                    throw ValidationError("a RESULT did not decode as one")
                }
                seconds["decode", default: 0] += MonotonicClock.now() - clock
                precondition(taskFrames.count > 1)
                clock = MonotonicClock.now()
                var commits: [TaskRef] = []
                for result in decoded.results {
                    for case .commit(let commit) in scheduler.result(result, from: worker, now: now) {
                        commits.append(commit.task)
                    }
                }
                seconds["result", default: 0] += MonotonicClock.now() - clock
                clock = MonotonicClock.now()
                for task in commits { _ = scheduler.committed(task, now: now) }
                seconds["commit", default: 0] += MonotonicClock.now() - clock
                finished += commits.count
            }
        }
        return seconds.mapValues { $0 * 1e6 / Double(tasks) }
    }
}
