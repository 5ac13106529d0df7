import ShoalCore
import Synchronization
import ZeroMQ

/// The coordinator's batches in flight to its store: each is persisted on the store's queue
/// (`StateStore.applyInOrder`) and its messages are sent from there once the transaction committed, so the
/// engine decides the next batch on another core while SQLite writes this one. Persist-then-send holds per
/// batch, and batches (and their messages) keep their order: every store call and every message of the engine
/// goes through the store's one serial queue or waits for it (`drain`).
///
/// A batch that fails to persist sends nothing, and no batch after it is written or sends; the engine's next `check` or
/// `drain` throws, which stops the coordinator as a failed synchronous write did (what was decided but not
/// stored is decided again after a restart, from what the store holds).
final class WritePipeline: Sendable {
    private struct State {
        var inFlight = 0
        var failure: String?
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
        try check()
        if state.withLock({ $0.inFlight }) >= Self.depth { try drain() }
        state.withLock { $0.inFlight += 1 }  // only this engine adds: nothing can slip in between the two
        // After a failure nothing more is written either: the durable state stays the one before it.
        store.applyInOrder(directives, if: { [self] in state.withLock { $0.failure == nil } }) { [self] error in
            let send = state.withLock { state -> Bool in
                state.inFlight -= 1
                if let error, state.failure == nil { state.failure = "\(error)" }
                return state.failure == nil
            }
            guard send else { return }
            for (socket, message) in messages { loop.send(message.frames, on: socket) }
        }
    }

    /// Queues a new job and its tasks to insert (`StateStore.insertJobInOrder`, under the ids `nextIDs` gave)
    /// before the batches queued after this call; a failure stops the pipeline as a batch's does.
    func insertJob(_ job: JobRecord, tasks: [PlannedTask], firstTask: TaskID) throws {
        try check()
        if state.withLock({ $0.inFlight }) >= Self.depth { try drain() }
        state.withLock { $0.inFlight += 1 }
        store.insertJobInOrder(job, tasks: tasks, firstTask: firstTask, if: { [self] in
            state.withLock { $0.failure == nil }
        }) { [self] error in
            state.withLock { state in
                state.inFlight -= 1
                if let error, state.failure == nil { state.failure = "\(error)" }
            }
        }
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
