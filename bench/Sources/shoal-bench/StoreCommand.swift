import ArgumentParser
import Foundation
import ShoalCore
import ShoalProtocol
import ZeroMQ

/// `shoal-bench store`: the coordinator's durable state alone — a job of no-op tasks stored, then every task
/// started, ended and marked succeeded in batches, as `CoordinatorEngine.settle` writes them under load — in µs per
/// task per phase. The scheduling benchmark (`bench/scheduling.sh`) measures the whole path; this isolates the
/// store's share of it, so a schema or statement change can be judged in seconds.
struct StoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store", abstract: "Time the state store's per-task writes (plan, start, end) in batches.")

    @Option(help: "Tasks per job.")
    var tasks = 20_000
    @Option(help: "Attempts per transaction (a settle batch).")
    var batch = 256
    @Option(help: "Jobs, each in a fresh store; the fastest is reported.")
    var rounds = 5
    @Option(help: "Where the stores go (a fresh directory per round, removed after).")
    var directory = NSTemporaryDirectory()

    func run() throws {
        var best: (plan: Double, start: Double, end: Double)?
        for round in 0..<rounds {
            let path = (directory as NSString).appendingPathComponent("shoal-bench-store-\(getpid())-\(round)")
            defer { try? FileManager.default.removeItem(atPath: path) }
            let store = try StateStore(directory: path)
            let record = JobRecord(
                name: "bench", kind: "noop", priority: 0, maxAttempts: 3, timeoutMs: nil, hangTimeoutMs: 60_000,
                speculation: false, source: "bench", workingDirectory: "/", specHash: "bench-\(round)",
                outputDirectory: nil, taskCount: tasks)
            let planned = (0..<tasks).map { PlannedTask(index: $0, label: "noop \($0)", spec: [1, 2, 3, 4]) }
            var clock = MonotonicClock.now()
            let (job, descriptors) = try store.insertJob(record, tasks: planned)
            let plan = MonotonicClock.now() - clock
            var start = 0.0, end = 0.0
            for first in stride(from: 0, to: descriptors.count, by: batch) {
                let chunk = descriptors[first..<min(first + batch, descriptors.count)]
                let starts = chunk.map {
                    AttemptStart(
                        task: TaskRef(taskID: $0.id, attempt: 1), job: job.id, kind: "noop", timeoutMs: 0,
                        spec: $0.spec, speculative: false)
                }
                clock = MonotonicClock.now()
                try store.apply([.start(worker: "worker-\(first / batch % 2)", attempts: starts)])
                start += MonotonicClock.now() - clock
                var ended: [SchedulerDirective] = []
                for descriptor in chunk {
                    ended.append(.attemptEnded(AttemptRecord(
                        task: TaskRef(taskID: descriptor.id, attempt: 1), job: job.id, worker: "worker-0",
                        ending: .succeeded, runtime: .microseconds(20))))
                    ended.append(.taskChanged(task: descriptor.id, job: job.id, state: .succeeded, failures: 0))
                }
                clock = MonotonicClock.now()
                try store.apply(ended)
                end += MonotonicClock.now() - clock
            }
            let perTask = 1e6 / Double(tasks)
            let measured = (plan * perTask, start * perTask, end * perTask)
            print("store round=\(round + 1) plan_us=\(format(measured.0, 2)) start_us=\(format(measured.1, 2))"
                + " end_us=\(format(measured.2, 2)) total_us=\(format(measured.0 + measured.1 + measured.2, 2))")
            if best.map({ $0.plan + $0.start + $0.end > measured.0 + measured.1 + measured.2 }) ?? true { best = measured }
        }
        if let best {
            print("store best tasks=\(tasks) batch=\(batch) plan_us=\(format(best.plan, 2))"
                + " start_us=\(format(best.start, 2)) end_us=\(format(best.end, 2))"
                + " total_us=\(format(best.plan + best.start + best.end, 2))")
        }
    }
}
