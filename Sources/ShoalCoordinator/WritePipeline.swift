import Foundation
import ShoalCore
import Synchronization
import ZeroMQ

/// The coordinator's batches in flight to its store: each is persisted on the store's queue
/// (`StateStore.writeInOrder`) and its messages are sent from there once the transaction committed, so the
/// engine decides the next batch on another core while SQLite writes this one. Persist-then-send holds per
/// batch, and batches (and their messages) keep their order: every store call and every message of the engine
/// goes through the store's one serial queue or waits for it (`drain`).
///
/// Batches that queue up while SQLite writes an earlier one are written together, in their order, in one
/// transaction (group commit), and their messages sent in that order after it: a transaction per batch rewrote
/// the same pages each time (the runs' and the tasks' last leaves), and under load the store's thread spent a
/// sixth of its time in `pwrite`.
///
/// A batch that fails to persist sends nothing, and no batch after it is written or sends; the engine's next `check` or
/// `drain` throws, which stops the coordinator as a failed synchronous write did (what was decided but not
/// stored is decided again after a restart, from what the store holds).
final class WritePipeline: Sendable {
    private struct Queued: Sendable {
        var write: StoreWrite
        var messages: [(socket: Int, message: OutgoingMessage)]
    }

    private struct State {
        /// Batches queued or being written.
        var inFlight = 0
        var failure: String?
        /// Queued and not yet taken by a write on the store's queue.
        var waiting: [Queued] = []
    }

    /// Batches queued at most before the engine waits for the store: the engine must not run far ahead of what
    /// is durable (its messages would only queue up behind it).
    static let depth = 16

    private let state = Mutex(State())
    private let store: StateStore
    private let loop: SocketLoop

    init(store: StateStore, loop: SocketLoop) {
        self.store = store
        self.loop = loop
    }

    /// Queues `directives` to persist and `messages` to send (encoded here, `OutgoingMessage`) once they are
    /// durable.
    func persistThenSend(_ directives: [SchedulerDirective], _ messages: [(socket: Int, message: OutgoingMessage)]) throws {
        try enqueue(Queued(write: .directives(directives, time: Date().timeIntervalSince1970), messages: messages))
    }

    /// Queues a new job and its tasks to insert (`StoreWrite.job`, under the ids `StateStore.nextIDs` gave)
    /// before the batches queued after this call; a failure stops the pipeline as a batch's does.
    func insertJob(_ job: JobRecord, tasks: [PlannedTask], firstTask: TaskID) throws {
        try enqueue(Queued(write: .job(job, tasks: tasks, firstTask: firstTask), messages: []))
    }

    private func enqueue(_ queued: Queued) throws {
        try check()
        if state.withLock({ $0.inFlight }) >= Self.depth { try drain() }
        // Only this engine adds: nothing can slip in between the check above and this.
        state.withLock { state in
            state.inFlight += 1
            state.waiting.append(queued)
        }
        // One write per batch queued; whichever runs first takes every batch waiting by then, and the ones after
        // it find none left. `taken` carries them from the write's start to its end (both on the store's queue).
        let taken = Taken()
        store.writeInOrder(take: { [self] in
            let (batches, proceed) = state.withLock { state in
                defer { state.waiting.removeAll() }
                // After a failure nothing more is written either: the durable state stays the one before it.
                return (state.waiting, state.failure == nil)
            }
            taken.batches.withLock { $0 = batches }
            return proceed ? batches.map(\.write) : []
        }) { [self] _, error in
            let batches = taken.batches.withLock { $0 }
            let send = state.withLock { state -> Bool in
                if let error, state.failure == nil { state.failure = "\(error)" }
                return state.failure == nil
            }
            if send {
                for batch in batches {
                    for (socket, message) in batch.messages { loop.send(message.frames, on: socket) }
                }
            }
            state.withLock { $0.inFlight -= batches.count }
        }
    }

    /// The batches one write took (`enqueue`).
    private final class Taken: Sendable {
        let batches = Mutex<[Queued]>([])
    }

    /// Returns once every queued batch is durable and its messages sent; throws if one failed.
    func drain() throws {
        try store.waitForQueuedWrites()
        try check()
    }

    /// Throws if a queued batch failed to persist.
    func check() throws {
        if let failure = state.withLock({ $0.failure }) {
            throw WritePipelineError(description: "persisting a batch of the coordinator's state failed: \(failure)")
        }
    }
}

/// A batch queued to the store could not be persisted.
struct WritePipelineError: Error, CustomStringConvertible {
    var description: String
}
