import Logging
import ServiceLifecycle
import ShoalProtocol
import ZeroMQ

/// A stand-alone Shoal PING responder on a ROUTER endpoint: `shoal ping --listen`. It checks a network path
/// and a protocol version between two hosts before a coordinator is deployed, as iperf's server does for links.
public final class PingServer: Service {
    /// The endpoint it bound, with a wildcard port resolved.
    public let endpoint: String
    private let loop: SocketLoop
    private let responder: PingResponder
    private let logger: Logger

    private init(loop: SocketLoop, responder: PingResponder, logger: Logger) {
        self.loop = loop
        self.endpoint = loop.endpoints[0][0]
        self.responder = responder
        self.logger = logger
    }

    /// Binds `endpoint` and returns the server, ready to `run`.
    /// - Throws: `ZMQError` naming the endpoint when the bind fails.
    public static func bind(
        _ endpoint: String, context: Context, responder: PingResponder, logger: Logger
    ) async throws -> PingServer {
        let loop = try await SocketLoop.start(
            context: context,
            sockets: [SocketSpec(.router, options: [.linger(milliseconds: 0), .routerMandatory(true),
                                                    .maxMessageSize(Int64(ProtocolLimits.standard.maxBodyBytes) * 2)],
                                 bind: [endpoint], lingerOnStop: 0)],
            name: "shoal-ping-server")
        return PingServer(loop: loop, responder: responder, logger: logger)
    }

    /// Answers until graceful shutdown (SIGINT/SIGTERM through the ServiceGroup) or cancellation.
    public func run() async throws {
        logger.info("answering PING", metadata: ["endpoint": "\(endpoint)"])
        for await inbound in loop.inbound.cancelOnGracefulShutdown() {
            switch inbound {
            case .message(_, let frames):
                if let reply = responder.reply(to: frames) { loop.send(reply, on: 0) }
            case .sendFailed(_, let error, _):
                logger.debug("reply not delivered", metadata: ["error": "\(error)"])
            case .event, .refused:
                break
            }
        }
        await loop.stop()
        logger.info("stopped", metadata: ["endpoint": "\(endpoint)"])
    }
}
