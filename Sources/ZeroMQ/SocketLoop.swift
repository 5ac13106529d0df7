import CZeroMQ
import Foundation
import Synchronization

/// The bridge between ZeroMQ sockets and Swift concurrency: one dedicated thread owns a set of sockets for
/// their whole life and is the only code that ever calls libzmq on them (czmq's zactor pattern).
///
/// - Inbound messages (and monitor events) leave the thread as `Sendable` frames through `inbound`.
/// - Outbound messages enter from any thread or task through `send(_:on:)`: a locked queue plus a one-byte
///   wake-up over an inproc PUSH/PULL pair, sent only when the queue goes from empty to non-empty, so a burst
///   of sends costs one wake-up.
/// - Sends never block the thread: a socket at its high-water mark keeps its messages in a pending queue
///   that is flushed when `zmq_poll` reports it writable.
/// - `stop()` closes every socket on the owning thread after giving each its linger time; the context is
///   terminated last, by its own `deinit`, once the caller lets it go.
///
/// No blocking libzmq call runs on Swift's cooperative thread pool: the loop thread is a plain `Thread`.
/// `inbound` buffers without bound; a consumer that falls behind holds memory rather than stalling sockets.
public final class SocketLoop: Sendable {
    /// What the loop thread reports.
    public enum Inbound: Sendable {
        /// A whole multipart message arrived on socket `socket` (an index into the specs given to `start`).
        case message(socket: Int, frames: [Frame])
        /// A monitor event for socket `socket`.
        case event(socket: Int, SocketEvent)
        /// A send failed for a reason other than "would block" (EHOSTUNREACH on a mandatory ROUTER, …).
        case sendFailed(socket: Int, error: ZMQError, frames: [Frame])
        /// A message on socket `socket` from a peer its `SocketSpec.admit` refused: dropped, and the peer's
        /// connection shut down. `peer` is the ZAP user id, `address` the peer's IP address.
        case refused(socket: Int, peer: String, address: String)
    }

    /// Inbound messages and events, in the order the loop thread saw them. Finishes after `stop()`.
    public let inbound: AsyncStream<Inbound>
    /// Per socket, the endpoints it bound, with wildcard ports resolved.
    public let endpoints: [[String]]
    /// The thread's name, for logs and debuggers.
    public let name: String

    private let mailbox: Mailbox

    private init(inbound: AsyncStream<Inbound>, endpoints: [[String]], name: String, mailbox: Mailbox) {
        self.inbound = inbound
        self.endpoints = endpoints
        self.name = name
        self.mailbox = mailbox
    }

    /// Starts a loop thread, creates `sockets` on it, binds and connects them.
    /// - Throws: the first `ZMQError` of the set-up (a bind on a port in use names it); nothing is left open.
    public static func start(context: Context, sockets: [SocketSpec], name: String = "shoal-zmq") async throws
        -> SocketLoop
    {
        let (stream, continuation) = AsyncStream<Inbound>.makeStream()
        let mailbox = Mailbox()
        let endpoints = try await withCheckedThrowingContinuation { (ready: CheckedContinuation<[[String]], Error>) in
            let thread = Thread {
                // corelibs Foundation applies a name set before `start()` only to the object, and setting
                // `Thread.current.name` does not always reach the kernel: name the OS thread directly.
                shoal_set_current_thread_name(name)
                LoopThread.run(
                    context: context, specs: sockets, mailbox: mailbox, inbound: continuation, ready: ready)
            }
            thread.name = name
            thread.start()
        }
        return SocketLoop(inbound: stream, endpoints: endpoints, name: name, mailbox: mailbox)
    }

    /// Queues `frames` to be sent as one message on socket `socket`. Returns at once, from any thread.
    /// Messages to one socket leave in the order they were queued. After `stop()` they are dropped.
    public func send(_ frames: [Frame], on socket: Int) {
        mailbox.post(.send(socket: socket, frames: frames))
    }

    /// Runs `body` on the loop thread with the loop's sockets (indexed as given to `start`), e.g. to connect,
    /// disconnect or read an option. `Socket` is not `Sendable`, so the result cannot carry one out.
    public func withSockets<Result: Sendable>(
        _ body: @escaping @Sendable ([Socket]) throws -> Result
    ) async throws -> Result {
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Result, Error>) in
            let posted = mailbox.post(.run { sockets in done.resume(with: Swift.Result { try body(sockets) }) })
            if !posted { done.resume(throwing: ZMQError(operation: "SocketLoop", code: ZMQError.ETERM)) }
        }
    }

    /// Connects socket `socket` to `endpoint` on the loop thread.
    public func connect(_ endpoint: String, on socket: Int) async throws {
        try await withSockets { try $0[socket].connect(endpoint) }
    }

    /// Disconnects socket `socket` from `endpoint` on the loop thread.
    public func disconnect(_ endpoint: String, on socket: Int) async throws {
        try await withSockets { try $0[socket].disconnect(endpoint) }
    }

    /// Stops the loop: queued messages are handed to libzmq, every socket gets its `lingerOnStop` to flush
    /// and is closed on the loop thread, and `inbound` finishes. Returns when the thread is done.
    public func stop() async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            if !mailbox.post(.stop(done)) { done.resume() }
        }
    }

    deinit {
        mailbox.post(.stop(nil))
    }
}

/// A command for the loop thread.
enum LoopCommand: Sendable {
    case send(socket: Int, frames: [Frame])
    case run(@Sendable ([Socket]) -> Void)
    case stop(CheckedContinuation<Void, Never>?)
}

/// The queue between callers and the loop thread, and the inproc PUSH socket that wakes the thread.
final class Mailbox: Sendable {
    private struct State {
        var commands: [LoopCommand] = []
        var wakeSent = false
        var closed = false
        var waker: WakeSocket?
    }

    private let state = Mutex(State())

    /// Queues `command`; `false` when the loop has already ended.
    @discardableResult
    func post(_ command: LoopCommand) -> Bool {
        state.withLock { state in
            guard !state.closed else { return false }
            state.commands.append(command)
            if !state.wakeSent, let waker = state.waker {
                state.wakeSent = true
                waker.wake()
            }
            return true
        }
    }

    /// Installs the wake-up socket; called once by the loop thread before it reports ready.
    func install(_ waker: WakeSocket) {
        state.withLock { $0.waker = waker }
    }

    /// Takes every queued command. The loop must drain its wake-up socket *before* calling this: a post that
    /// lands after `take` then finds `wakeSent == false` and sends a fresh wake-up, so none is lost.
    func take() -> [LoopCommand] {
        state.withLock { state in
            state.wakeSent = false
            defer { state.commands.removeAll(keepingCapacity: true) }
            return state.commands
        }
    }

    /// Refuses further posts and returns what was still queued; the wake socket is closed here.
    func close() -> [LoopCommand] {
        state.withLock { state in
            state.closed = true
            state.waker?.socket.close()
            state.waker = nil
            defer { state.commands.removeAll() }
            return state.commands
        }
    }
}

/// The sending end of the loop's wake-up pair.
///
/// `@unchecked Sendable`: libzmq lets a socket move between threads given a full memory barrier (zmq(7)).
/// This socket is created on the loop thread, handed to the `Mailbox`, and from then on touched only while
/// the mailbox's mutex is held, which both serialises the calls and provides that barrier.
final class WakeSocket: @unchecked Sendable {
    let socket: Socket
    init(_ socket: Socket) { self.socket = socket }

    func wake() {
        // At most one wake-up is outstanding (Mailbox.wakeSent), far below the inproc high-water mark.
        _ = try? socket.send(Frame([1]), dontWait: true)
    }
}
