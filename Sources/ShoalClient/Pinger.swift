import ShoalProtocol
import Synchronization
import ZeroMQ

/// Sends PING to a Shoal endpoint and waits for the answer, watching the connection's monitor events so a
/// failure can be explained (refused handshake, a peer that is not ZeroMQ, one that is not Shoal).
public final class Pinger: Sendable {
    /// What one ping came back with.
    public enum Outcome: Sendable, Equatable {
        /// The peer answered PONG.
        case pong(Pong, roundTrip: Duration)
        /// The peer refused the PING with ERROR.
        case refused(ErrorReply)
        /// The peer sent something that is not a Shoal message, or not the answer to PING.
        case notShoal(reason: String)
        /// The ZeroMQ handshake failed (monitor event).
        case handshakeFailed(SocketEvent)
        /// No answer before the deadline.
        case timedOut
    }

    /// What the monitor has seen on the connection so far.
    public struct Connection: Sendable, Equatable {
        public var connected = false
        public var handshakeSucceeded = false
        public var disconnects = 0
        public var events: [SocketEvent] = []
    }

    /// The endpoint pinged.
    public let endpoint: String
    private let loop: SocketLoop
    private let state: PingerState
    private let consumer: Task<Void, Never>

    /// Connects a DEALER to `endpoint`, with `options` (CURVE's, say) set first.
    /// - Throws: `ZMQError` when libzmq refuses the endpoint.
    public init(endpoint: String, context: Context, options: [SocketOption] = []) async throws {
        let loop = try await SocketLoop.start(
            context: context,
            sockets: [SocketSpec(.dealer, options: [.linger(milliseconds: 0),
                                                    .maxMessageSize(Int64(ProtocolLimits.standard.maxBodyBytes) * 2)]
                                     + options,
                                 connect: [endpoint], monitorEvents: SocketEvent.all, lingerOnStop: 0)],
            name: "shoal-ping")
        let state = PingerState()
        self.endpoint = endpoint
        self.loop = loop
        self.state = state
        self.consumer = Task { await state.consume(loop.inbound) }
    }

    /// Sends one PING with `nonce` and waits up to `timeout` for its answer.
    public func ping(nonce: UInt64, sender: String, timeout: Duration,
                     versions: ClosedRange<UInt8> = ProtocolVersion.supported) async -> Outcome {
        let clock = ContinuousClock()
        let start = clock.now
        let message = Ping(nonce: nonce, minVersion: versions.lowerBound, maxVersion: versions.upperBound,
                           sender: sender)
        let outcome = await withCheckedContinuation { (waiter: CheckedContinuation<Outcome, Never>) in
            state.register(nonce: nonce, waiter)
            loop.send(ShoalCodec.encode(message, version: versions.lowerBound), on: 0)
            Task { [state] in
                try? await Task.sleep(for: timeout)
                state.resolve(nonce: nonce, with: .timedOut)
            }
        }
        if case .pong(let pong, _) = outcome { return .pong(pong, roundTrip: start.duration(to: clock.now)) }
        return outcome
    }

    /// What the monitor has seen so far.
    public var connection: Connection { state.connection }

    /// Closes the connection.
    public func close() async {
        await loop.stop()
        await consumer.value
    }
}

/// The pinger's shared state: waiters by nonce and what the monitor reported.
final class PingerState: Sendable {
    private struct Guarded {
        var waiters: [UInt64: CheckedContinuation<Pinger.Outcome, Never>] = [:]
        var connection = Pinger.Connection()
    }

    private let guarded = Mutex(Guarded())

    var connection: Pinger.Connection { guarded.withLock { $0.connection } }

    func register(nonce: UInt64, _ waiter: CheckedContinuation<Pinger.Outcome, Never>) {
        guarded.withLock { $0.waiters[nonce] = waiter }
    }

    /// Resumes the waiter for `nonce`, if it still waits.
    func resolve(nonce: UInt64, with outcome: Pinger.Outcome) {
        guarded.withLock { $0.waiters.removeValue(forKey: nonce) }?.resume(returning: outcome)
    }

    /// Resumes every waiter: used for answers that carry no nonce (ERROR) and for transport failures.
    func resolveAll(with outcome: Pinger.Outcome) {
        let waiters = guarded.withLock { state in
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume(returning: outcome) }
    }

    func consume(_ inbound: AsyncStream<SocketLoop.Inbound>) async {
        for await item in inbound {
            switch item {
            case .message(_, let frames):
                handle(frames)
            case .event(_, let event):
                observe(event)
            case .sendFailed(_, let error, _):
                resolveAll(with: .notShoal(reason: "sending PING failed: \(error)"))
            case .refused:
                break  // a client socket has no `admit`
            }
        }
    }

    private func handle(_ frames: [Frame]) {
        do {
            switch try ShoalCodec.decode(frames) {
            case .pong(let pong): resolve(nonce: pong.nonce, with: .pong(pong, roundTrip: .zero))
            case .error(let reply): resolveAll(with: .refused(reply))
            case let other: resolveAll(with: .notShoal(reason: "it answered \(other.type), not PONG"))
            }
        } catch {
            resolveAll(with: .notShoal(reason: "its answer is not a Shoal message: \(error)"))
        }
    }

    private func observe(_ event: SocketEvent) {
        guarded.withLock { state in
            state.connection.events.append(event)
            switch event {
            case .connected: state.connection.connected = true
            case .handshakeSucceeded: state.connection.handshakeSucceeded = true
            case .disconnected: state.connection.disconnects += 1
            default: break
            }
        }
        if event.isHandshakeFailure { resolveAll(with: .handshakeFailed(event)) }
    }
}
