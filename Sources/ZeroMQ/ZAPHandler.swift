import CZeroMQ
import Foundation
import Synchronization

/// A ZeroMQ authentication handler (ZAP, ZeroMQ RFC 27) for one context: every handshake of a socket in that
/// context with a ZAP domain set (`.zapDomain`) asks it whether the peer may connect, before any message of
/// the peer is delivered.
///
/// libzmq sends the requests to whoever binds `inproc://zeromq.zap.01` in the context; this handler binds it on
/// a thread of its own and answers each request with `authorize`, synchronously, so a busy application never
/// holds up handshakes. Written by hand: libzmq has no handler of its own (czmq's `zauth` is C and a separate
/// library), and the protocol is six frames each way.
///
/// Start it before any socket that relies on it binds: with no handler bound, libzmq lets every handshake
/// through.
public final class ZAPHandler: Sendable {
    /// What the peer presented, as libzmq reports it.
    public struct Request: Sendable, Equatable {
        /// The ZAP domain of the socket being connected to (`.zapDomain`).
        public var domain: String
        /// The peer's IP address, without the port.
        public var address: String
        /// "NULL", "PLAIN" or "CURVE".
        public var mechanism: String
        /// CURVE: the peer's 32-byte long-term public key.
        public var credentials: [[UInt8]]

        public init(domain: String, address: String, mechanism: String, credentials: [[UInt8]]) {
            self.domain = domain
            self.address = address
            self.mechanism = mechanism
            self.credentials = credentials
        }

        /// The CURVE public key the peer presented, if it presented one.
        public var curveKey: CurveKey? {
            guard mechanism == "CURVE", credentials.count == 1 else { return nil }
            return CurveKey(bytes: credentials[0])
        }
    }

    /// The answer to a request.
    public enum Decision: Sendable, Equatable {
        /// Let the peer in; `userID` travels with each of its messages ("User-Id", `Frame.connectionProperty`).
        case allow(userID: String)
        /// Refuse the handshake: status 400 with this text (the peer sees ZMQ_EVENT_HANDSHAKE_FAILED_AUTH).
        case deny(reason: String)
    }

    /// The endpoint libzmq sends ZAP requests to (RFC 27).
    public static let endpoint = "inproc://zeromq.zap.01"

    /// The sending end of the stop pair. Made on the handler's thread, then touched only under this mutex,
    /// which serialises the calls and gives the memory barrier libzmq asks for when a socket changes threads.
    private let stopSender: Mutex<Socket?>
    private let ending = Mutex(Ending())

    private struct Ending {
        var threadEnded = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private init(stopSender: sending Socket) {
        self.stopSender = Mutex(stopSender)
    }

    /// Binds the ZAP endpoint in `context` on a new thread and answers requests with `authorize` until `stop()`.
    /// - Throws: when the endpoint is taken (another handler in this context).
    public static func start(
        context: Context, name: String = "shoal-zap", authorize: @escaping @Sendable (Request) -> Decision
    ) async throws -> ZAPHandler {
        let stopEndpoint = InprocName.unique("shoal-zap-stop")
        let handler = try await withCheckedThrowingContinuation { (ready: CheckedContinuation<ZAPHandler, Error>) in
            let thread = Thread {
                shoal_set_current_thread_name(name)
                let replies: Socket
                let stopReceiver: Socket
                let handler: ZAPHandler
                do {
                    replies = try Socket(context, type: .rep)
                    try replies.set(.linger(milliseconds: 0))
                    try replies.bind(endpoint)
                    stopReceiver = try Socket(context, type: .pair)
                    try stopReceiver.set(.linger(milliseconds: 0))
                    try stopReceiver.bind(stopEndpoint)
                    let sender = try Socket(context, type: .pair)
                    try sender.set(.linger(milliseconds: 0))
                    try sender.connect(stopEndpoint)
                    handler = ZAPHandler(stopSender: sender)
                } catch {
                    ready.resume(throwing: error)
                    return
                }
                ready.resume(returning: handler)
                serve(replies: replies, stop: stopReceiver, authorize: authorize)
                replies.close()
                stopReceiver.close()
                handler.threadEnded()
            }
            thread.name = name
            thread.start()
        }
        return handler
    }

    /// The thread's loop: one request, one reply, until a stop byte arrives.
    private static func serve(replies: Socket, stop: Socket, authorize: @Sendable (Request) -> Decision) {
        let poller = Poller()
        let requestItem = poller.register(replies)
        let stopItem = poller.register(stop)
        while true {
            guard (try? poller.poll(timeout: -1)) != nil else { return }
            if poller.events(at: stopItem).contains(.readable) { return }
            guard poller.events(at: requestItem).contains(.readable),
                  let frames = try? replies.receive(dontWait: true)
            else { continue }
            _ = try? replies.send(reply(to: frames, authorize: authorize))
        }
    }

    /// RFC 27: version "1.0", request id, domain, address, identity, mechanism, credentials… in; version,
    /// request id, status code, status text, user id, metadata out. A malformed request gets status 500.
    static func reply(to frames: [Frame], authorize: (Request) -> Decision) -> [Frame] {
        let requestID = frames.count > 1 ? frames[1] : Frame([UInt8]())
        guard frames.count >= 6, frames[0].utf8String == "1.0" else {
            return [Frame("1.0"), requestID, Frame("500"), Frame("malformed ZAP request"), Frame(""), Frame([UInt8]())]
        }
        let request = Request(
            domain: frames[2].utf8String ?? "", address: frames[3].utf8String ?? "",
            mechanism: frames[5].utf8String ?? "", credentials: frames.dropFirst(6).map(\.bytes))
        switch authorize(request) {
        case .allow(let userID):
            return [Frame("1.0"), requestID, Frame("200"), Frame("OK"), Frame(userID), Frame([UInt8]())]
        case .deny(let reason):
            return [Frame("1.0"), requestID, Frame("400"), Frame(reason), Frame(""), Frame([UInt8]())]
        }
    }

    /// Stops answering and closes the endpoint; returns when the thread is done. Handshakes after this see no
    /// handler: stop it only after the sockets that rely on it are closed.
    public func stop() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ended = ending.withLock { ending -> Bool in
                if !ending.threadEnded { ending.waiters.append(continuation) }
                return ending.threadEnded
            }
            if ended {
                continuation.resume()
                return
            }
            stopSender.withLock { socket in
                _ = try? socket?.send(Frame([1]), dontWait: true)
            }
        }
        stopSender.withLock { socket in
            socket?.close()
            socket = nil
        }
    }

    private func threadEnded() {
        let waiters = ending.withLock { ending -> [CheckedContinuation<Void, Never>] in
            ending.threadEnded = true
            defer { ending.waiters = [] }
            return ending.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}
