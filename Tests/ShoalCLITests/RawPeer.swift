import Foundation
import ShoalProtocol
import ShoalTestSupport
import Synchronization
import ZeroMQ

/// A bare ZeroMQ socket that a test drives by hand — a DEALER that sends whatever bytes it is given, a ROUTER
/// that plays a fake coordinator, a SUB that watches events — on a `SocketLoop` of its own, so no blocking libzmq
/// call runs on the cooperative pool. Everything it receives is kept, in order, for `waitForMessage`.
final class RawPeer: Sendable {
    let loop: SocketLoop
    /// The endpoint it bound (ROUTER) or connected to (DEALER, SUB).
    let endpoint: String
    private let inbox = Inbox()
    private let consumer: Task<Void, Never>

    /// What the loop delivered, kept for the test to look at.
    private final class Inbox: Sendable {
        let messages = Mutex<[[Frame]]>([])
        let events = Mutex<[SocketEvent]>([])
    }

    private init(loop: SocketLoop, endpoint: String) {
        self.loop = loop
        self.endpoint = endpoint
        let inbox = self.inbox
        consumer = Task {
            for await item in loop.inbound {
                switch item {
                case .message(_, let frames): inbox.messages.withLock { $0.append(frames) }
                case .event(_, let event): inbox.events.withLock { $0.append(event) }
                case .sendFailed, .refused: break
                }
            }
        }
    }

    /// A DEALER connected to `endpoint`; libzmq picks its routing id unless `routingID` is given.
    static func dealer(connecting endpoint: String, routingID: String? = nil, context: Context) async throws -> RawPeer {
        var options: [SocketOption] = [.linger(milliseconds: 0), .sendHighWaterMark(0), .receiveHighWaterMark(0)]
        if let routingID { options.append(.routingID(Array(routingID.utf8))) }
        let loop = try await SocketLoop.start(
            context: context, sockets: [SocketSpec(.dealer, options: options, connect: [endpoint], lingerOnStop: 0)],
            name: "test-dealer")
        return RawPeer(loop: loop, endpoint: endpoint)
    }

    /// A ROUTER bound to a free loopback port.
    static func router(context: Context) async throws -> RawPeer {
        let loop = try await SocketLoop.start(
            context: context,
            sockets: [SocketSpec(.router, options: [.linger(milliseconds: 0)], bind: ["tcp://127.0.0.1:0"],
                                 lingerOnStop: 0)],
            name: "test-router")
        return RawPeer(loop: loop, endpoint: loop.endpoints[0][0])
    }

    /// A SUB connected to `endpoint`, subscribed to `prefix`, with its monitor events recorded.
    static func subscriber(connecting endpoint: String, prefix: String, context: Context) async throws -> RawPeer {
        let loop = try await SocketLoop.start(
            context: context,
            sockets: [SocketSpec(.sub, options: [.linger(milliseconds: 0), .subscribe(Array(prefix.utf8))],
                                 connect: [endpoint], monitorEvents: SocketEvent.all, lingerOnStop: 0)],
            name: "test-sub")
        return RawPeer(loop: loop, endpoint: endpoint)
    }

    func send(_ frames: [Frame]) { loop.send(frames, on: 0) }

    func send(_ message: some WireMessage, version: UInt8 = ProtocolVersion.current) {
        send(ShoalCodec.encode(message, version: version))
    }

    /// Every message received so far, in order.
    var messages: [[Frame]] { inbox.messages.withLock { $0 } }

    /// Every monitor event so far (SUB only).
    var monitorEvents: [SocketEvent] { inbox.events.withLock { $0 } }

    /// The first message received (from index `start` on) that `match` accepts, waiting up to `timeout` — or
    /// only until `hopeless` holds (say, the peer's process has died).
    func waitForMessage(
        from start: Int = 0, within timeout: Duration, unless hopeless: @escaping @Sendable () -> Bool = { false },
        where match: @escaping @Sendable ([Frame]) -> Bool
    ) async -> [Frame]? {
        let first = { @Sendable in self.messages.dropFirst(start).first(where: match) }
        // Messages are only ever appended, so the first match found by the wait is still the first one after it.
        _ = await waitUntil(timeout: timeout) { first() != nil || hopeless() }
        return first()
    }

    /// The first decodable message accepted by `match` (a DEALER's view: no routing frame).
    func waitForReply(
        from start: Int = 0, within timeout: Duration, unless hopeless: @escaping @Sendable () -> Bool = { false },
        where match: @escaping @Sendable (ShoalMessage) -> Bool
    ) async -> ShoalMessage? {
        guard let frames = await waitForMessage(from: start, within: timeout, unless: hopeless, where: { frames in
            (try? ShoalCodec.decode(frames)).map(match) ?? false
        }) else { return nil }
        return try? ShoalCodec.decode(frames)
    }

    func close() async {
        await loop.stop()
        await consumer.value
    }
}
