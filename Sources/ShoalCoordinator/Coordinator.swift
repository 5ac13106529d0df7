import Foundation
import Logging
import ServiceLifecycle
import ShoalCore
import ShoalProtocol
import ZeroMQ

/// The coordinator service: binds the worker, client and event endpoints, reloads its state directory, and
/// runs `CoordinatorEngine` — the scheduler and store behind those sockets — until graceful shutdown.
public final class Coordinator: Service {
    /// Socket indexes in the loop.
    enum Socket {
        static let workers = 0
        static let clients = 1
        static let events = 2
    }

    /// The endpoints bound, wildcard ports resolved: workers, clients, events.
    public let workerEndpoint: String
    public let clientEndpoint: String
    public let eventsEndpoint: String
    public let settings: Settings
    let loop: SocketLoop
    let store: StateStore
    let planners: JobKindRegistry
    let logger: Logger

    private init(settings: Settings, loop: SocketLoop, store: StateStore, planners: JobKindRegistry, logger: Logger) {
        self.settings = settings
        self.loop = loop
        self.store = store
        self.planners = planners
        self.logger = logger
        workerEndpoint = loop.endpoints[Socket.workers][0]
        clientEndpoint = loop.endpoints[Socket.clients][0]
        eventsEndpoint = loop.endpoints[Socket.events][0]
    }

    /// Opens the state directory and binds the three endpoints of `settings`.
    /// - Throws: when the state cannot be opened, or an endpoint cannot be bound (the error names it).
    public static func start(
        settings: Settings, context: Context, planners: JobKindRegistry = .standard, logger: Logger
    ) async throws -> Coordinator {
        let store = try StateStore(directory: settings.stateDirectory)
        let limit = Int64(ProtocolLimits.standard.maxPayloadFrameBytes) + (1 << 20)
        let common: [SocketOption] = [.linger(milliseconds: 0), .maxMessageSize(limit)]
        let loop = try await SocketLoop.start(
            context: context,
            sockets: [
                // Handover: a worker reconnecting under its id takes over its old connection at once.
                SocketSpec(.router, options: common + [.routerMandatory(true), .routerHandover(true),
                                                       .sendHighWaterMark(0), .receiveHighWaterMark(0)],
                           bind: [settings.workerEndpoint], lingerOnStop: 500),
                SocketSpec(.router, options: common + [.routerMandatory(true)], bind: [settings.clientEndpoint],
                           lingerOnStop: 500),
                SocketSpec(.pub, options: [.linger(milliseconds: 0)], bind: [settings.eventsEndpoint], lingerOnStop: 0),
            ],
            name: "shoal-coordinator")
        return Coordinator(settings: settings, loop: loop, store: store, planners: planners, logger: logger)
    }

    /// Serves until graceful shutdown (SIGINT/SIGTERM through a `ServiceGroup`) or cancellation.
    public func run() async throws {
        let engine = try CoordinatorEngine(coordinator: self)
        let inbox = Inbox<CoordinatorEngine.Input>()
        let forwarder = Task { [loop] in
            for await item in loop.inbound { inbox.post(.socket(item)) }
            inbox.finish()
        }
        let ticker = Task { [interval = settings.heartbeatInterval] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval / 2)
                inbox.post(.tick)
            }
        }
        logger.info("coordinator ready", metadata: [
            "workers": "\(workerEndpoint)", "clients": "\(clientEndpoint)", "events": "\(eventsEndpoint)",
            "state": "\(settings.stateDirectory)", "epoch": "\(store.epoch)",
        ])
        defer {
            ticker.cancel()
            forwarder.cancel()
        }
        do {
            try await withTaskCancellationHandler {
                try await withGracefulShutdownHandler {
                    while let batch = await inbox.next() {
                        try engine.handle(batch, now: .now)
                    }
                } onGracefulShutdown: {
                    inbox.finish()
                }
            } onCancel: {
                inbox.finish()
            }
        } catch {
            logger.critical("coordinator stopping: \(error)")
            await loop.stop()
            throw error
        }
        engine.shutdown()
        await loop.stop()
        logger.info("coordinator stopped")
    }
}
