import Foundation
import GRDB
@testable import ShoalCoordinator
import ShoalCore
import ShoalProtocol
import ShoalTestSupport
import Testing
import ZeroMQ

/// The coordinator's write pipeline on a real SQLite file and real sockets: a batch's messages leave only once
/// its transaction committed (another connection sees its rows by then), in order; a batch that fails to persist
/// sends nothing, nor does any after it, and the engine hears of it.
@Suite struct WritePipelineTests {
    /// A ROUTER loop (the coordinator's side) and a DEALER peer named "w" connected to it.
    private func loops(_ context: Context) async throws -> (router: SocketLoop, dealer: SocketLoop) {
        let router = try await SocketLoop.start(
            context: context,
            sockets: [SocketSpec(.router, options: [.linger(milliseconds: 0)], bind: ["tcp://127.0.0.1:0"])],
            name: "test-pipeline-router")
        let dealer = try await SocketLoop.start(
            context: context,
            sockets: [SocketSpec(
                .dealer, options: [.linger(milliseconds: 0), .routingID(Array("w".utf8))],
                connect: [router.endpoints[0][0]])],
            name: "test-pipeline-dealer")
        // The ROUTER can address "w" once it has heard from it.
        dealer.send([Frame("hello")], on: 0)
        _ = try await withDeadline(.seconds(10)) { [inbound = router.inbound] in
            for await item in inbound { if case .message = item { return true } }
            return false
        }
        return (router, dealer)
    }

    private func job(_ store: StateStore, tasks: Int) throws -> (JobID, [TaskDescriptor]) {
        let record = JobRecord(
            name: "pipeline", kind: "noop", priority: 0, maxAttempts: 3, timeoutMs: nil, hangTimeoutMs: 60_000,
            speculation: false, source: "test", workingDirectory: "/", specHash: "pipeline", outputDirectory: nil,
            taskCount: tasks)
        let (stored, descriptors) = try store.insertJob(
            record, tasks: (0..<tasks).map { PlannedTask(index: $0, label: "shard \($0)", spec: [1]) })
        return (stored.id, descriptors)
    }

    /// Synchronous GRDB calls, kept out of async contexts (where GRDB's async overloads would be chosen).
    /// Started runs (`AttemptRun`) holding the task: a batch here starts one attempt, so one run per task.
    private static func attemptRows(of task: TaskID, in database: DatabaseQueue) throws -> Int {
        try database.read { db in
            try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM attempt_runs WHERE kind = 0 AND first_task <= ?1 AND last_task >= ?1",
                arguments: [task]) ?? 0
        }
    }

    private static func execute(_ sql: String, on database: DatabaseQueue) throws {
        try database.writeWithoutTransaction { try $0.execute(sql: sql) }
    }

    private func start(_ task: TaskDescriptor, job: JobID) -> SchedulerDirective {
        .start(worker: "w", attempts: [AttemptStart(
            task: TaskRef(taskID: task.id, attempt: 1), job: job, kind: "noop", timeoutMs: 0, spec: task.spec,
            speculative: false)])
    }

    @Test func eachBatchsMessageLeavesAfterItsRowsAreCommittedAndInOrder() async throws {
        let directory = try TemporaryDirectory()
        let store = try StateStore(directory: directory.path)
        // Another connection: it sees only what was committed.
        let observer = try DatabaseQueue(path: directory.path("state.sqlite"))
        let context = try Context()
        let (router, dealer) = try await loops(context)
        let pipeline = WritePipeline(store: store, loop: router)
        let (jobID, tasks) = try job(store, tasks: 50)
        // Every other message a TASK, which the pipeline encodes when it sends it (its spec, the last frame,
        // carries the number).
        for (number, task) in tasks.enumerated() {
            let message: OutgoingMessage = number % 2 == 0
                ? .frames([Frame("w"), Frame("\(number)")])
                : .task(routing: Frame("w"), TaskBatch([TaskAssignment(
                    task: TaskRef(taskID: task.id, attempt: 1), jobID: jobID, kind: "noop", spec: Frame("\(number)"))]))
            try pipeline.persistThenSend([start(task, job: jobID)], [(0, message)])
        }
        let seen = try await withDeadline(.seconds(20)) { [inbound = dealer.inbound] in
            var seen: [String] = []
            for await item in inbound {
                guard case .message(_, let frames) = item, let text = frames.last?.utf8String,
                      let number = Int(text) else { continue }
                if number % 2 == 1 {
                    guard case .task(let batch)? = try? ShoalCodec.decode(frames),
                          batch.assignments.map(\.task) == [TaskRef(taskID: tasks[number].id, attempt: 1)] else {
                        seen.append("\(text) not a TASK for its task")
                        continue
                    }
                }
                // By the time its message is here, the batch's attempt row is committed.
                let committed = try Self.attemptRows(of: tasks[number].id, in: observer)
                seen.append(committed == 1 ? text : "\(text) before its row")
                if seen.count == tasks.count { break }
            }
            return seen
        }
        #expect(seen == (0..<tasks.count).map { "\($0)" })
        try pipeline.drain()
        await dealer.stop()
        await router.stop()
    }

    @Test func aBatchThatCannotPersistSendsNothingAndStopsThoseAfterIt() async throws {
        let directory = try TemporaryDirectory()
        let store = try StateStore(directory: directory.path)
        let context = try Context()
        let (router, dealer) = try await loops(context)
        let pipeline = WritePipeline(store: store, loop: router)
        let (jobID, tasks) = try job(store, tasks: 3)
        // Another process holds the database's write lock past the store's busy timeout (2 s).
        var configuration = Configuration()
        configuration.allowsUnsafeTransactions = true
        let blocker = try DatabaseQueue(path: directory.path("state.sqlite"), configuration: configuration)
        try Self.execute("BEGIN IMMEDIATE", on: blocker)
        try pipeline.persistThenSend([start(tasks[0], job: jobID)], [(0, .frames([Frame("w"), Frame("lost 1")]))])
        try pipeline.persistThenSend([start(tasks[1], job: jobID)], [(0, .frames([Frame("w"), Frame("lost 2")]))])
        #expect(throws: WritePipelineError.self) { try pipeline.drain() }
        #expect(throws: WritePipelineError.self) {
            try pipeline.persistThenSend([start(tasks[2], job: jobID)], [(0, .frames([Frame("w"), Frame("lost 3")]))])
        }
        try Self.execute("ROLLBACK", on: blocker)
        // Whatever the pipeline sent went out before this marker: the first message to arrive must be it.
        router.send([Frame("w"), Frame("marker")], on: 0)
        let first = try await withDeadline(.seconds(10)) { [inbound = dealer.inbound] in
            for await item in inbound {
                if case .message(_, let frames) = item { return frames.last?.utf8String }
            }
            return nil
        }
        #expect(first == "marker")
        // Neither batch queued before the failure was known left a row.
        #expect(try store.attempts(ofTask: tasks[0].id).isEmpty)
        #expect(try store.attempts(ofTask: tasks[1].id).isEmpty)
        await dealer.stop()
        await router.stop()
    }
}
