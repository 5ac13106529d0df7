import CZeroMQ
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
    /// The engine's inputs: the sockets' messages (`run`'s forwarder), the clock, and the engine's own
    /// continuation of a dispatch (`CoordinatorEngine.Input.dispatch`).
    let inbox = Inbox<CoordinatorEngine.Input>()
    /// With CURVE: the allow-lists and the ZAP handler that consults them; `nil` for plaintext.
    public let authenticator: Authenticator?
    let zap: ZAPHandler?
    /// SIGHUP → `reloadKeys`, from the moment `start` returns (before the ready file, which the CLI writes after it):
    /// a key revoked and signalled while the state reloads is not left in force. Cancelled when `run` ends.
    // `nonisolated(unsafe)`: set once in `init`; a DispatchSource is thread-safe for `cancel`, the only call after.
    nonisolated(unsafe) private let hangup: any DispatchSourceSignal

    private init(
        settings: Settings, loop: SocketLoop, store: StateStore, planners: JobKindRegistry, logger: Logger,
        authenticator: Authenticator?, zap: ZAPHandler?
    ) {
        self.settings = settings
        self.loop = loop
        self.store = store
        self.planners = planners
        self.logger = logger
        self.authenticator = authenticator
        self.zap = zap
        workerEndpoint = loop.endpoints[Socket.workers][0]
        clientEndpoint = loop.endpoints[Socket.clients][0]
        eventsEndpoint = loop.endpoints[Socket.events][0]
        // A DispatchSource: the signal itself is ignored since `start`, the source still sees it.
        hangup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        hangup.setEventHandler { [weak self] in try? self?.reloadKeys() }
        hangup.resume()
    }

    /// Opens the state directory and binds the three endpoints of `settings`, with CURVE when the settings
    /// call for it (`ServerSecurity.resolve`: a non-loopback address without CURVE needs `settings.insecure`).
    /// - Throws: when the state cannot be opened, the security settings cannot be honoured, or an endpoint
    ///   cannot be bound (the error names it).
    public static func start(
        settings: Settings, context: Context, planners: JobKindRegistry = .standard, logger: Logger
    ) async throws -> Coordinator {
        // SIGHUP reloads the keys (`hangup`, installed before this returns); ignored from here on, so that one
        // sent as soon as the coordinator is ready cannot end it.
        signal(SIGHUP, SIG_IGN)
        // Yams compiles its resolver's patterns on first use, ~1.5 ms that otherwise fell on the first job's clock.
        _ = try? YAMLNode.parse(yaml: "warm: up", source: "(start-up)")
        let security = try ServerSecurity.resolve(settings)
        let store = try StateStore(directory: settings.stateDirectory)
        var authenticator: Authenticator?
        var zap: ZAPHandler?
        if let keys = security.keys {
            let auth = Authenticator(ring: keys, logger: logger)
            // Bound before the sockets: a CURVE server with no handler in its context lets every key in.
            zap = try await ZAPHandler.start(context: context, authorize: auth.authorize)
            authenticator = auth
        }
        func secured(_ options: [SocketOption], _ role: PeerRole) -> [SocketOption] {
            guard let keys = security.keys, let secret = keys.coordinator.secretKey else { return options }
            return options + [.curveServer(true), .curveSecretKey(secret), .zapDomain(role.zapDomain)]
        }
        // ZAP refusals are counted by the handler; the monitor reports the failures before it is asked.
        let monitor: Int32? = authenticator == nil ? nil : SocketEvent.handshakeFailures & ~ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
        let common: [SocketOption] = [.linger(milliseconds: 0), .maxMessageSize(settings.maxMessageBytes)]
        let loop: SocketLoop
        do {
            loop = try await SocketLoop.start(
                context: context,
                sockets: [
                    // Handover: a worker reconnecting under its id takes over its old connection at once.
                    SocketSpec(.router, options: secured(common + [.routerMandatory(true), .routerHandover(true),
                                                                   .sendHighWaterMark(0), .receiveHighWaterMark(0)], .worker),
                               bind: [settings.workerEndpoint], monitorEvents: monitor, lingerOnStop: 500,
                               admit: authenticator?.admits(.worker)),
                    // A client that stops reading its replies loses them (its requests time out); the others'
                    // replies go on (`dropWhenFull`). Up to 100,000 replies wait for a peer that reads: a burst
                    // (thousands of requests answered in one batch) is not a stuck client.
                    {
                        var spec = SocketSpec(.router, options: secured(common + [.routerMandatory(true),
                                                                                  .sendHighWaterMark(100_000)], .client),
                                              bind: [settings.clientEndpoint], monitorEvents: monitor, lingerOnStop: 500,
                                              admit: authenticator?.admits(.client))
                        spec.dropWhenFull = true
                        return spec
                    }(),
                    // Watchers are clients: the same keys subscribe.
                    SocketSpec(.pub, options: secured([.linger(milliseconds: 0)], .client), bind: [settings.eventsEndpoint],
                               lingerOnStop: 0),
                ],
                name: "shoal-coordinator")
        } catch {
            await zap?.stop()
            throw error
        }
        if let authenticator {
            let ring = authenticator.ring
            logger.info("CURVE on: peers must present an allowed key", metadata: [
                "keys": "\(ring.directory)", "workers": "\(ring.allowed[.worker]?.count ?? 0)",
                "clients": "\(ring.allowed[.client]?.count ?? 0)", "coordinator": "\(ring.coordinator.publicKey.fingerprint)",
            ])
            for role in PeerRole.allCases where ring.allowed[role]?.isEmpty ?? true {
                logger.warning("no \(role.rawValue) key is allowed: add public keys to \(ring.directory)/\(role.allowListDirectory)/ and reload (SIGHUP)")
            }
        } else if settings.insecure {
            logger.warning("CURVE off on a non-loopback address (--insecure): traffic is neither authenticated nor encrypted")
        }
        return Coordinator(
            settings: settings, loop: loop, store: store, planners: planners, logger: logger,
            authenticator: authenticator, zap: zap)
    }

    /// Reads the keys directory again (SIGHUP, RELOAD-KEYS): revoked keys are refused from now on and lose the
    /// connections they have at their next message.
    /// - Throws: `KeysReloadError` without CURVE, or when a key file is damaged (the lists in force stay).
    public func reloadKeys() throws(KeysReloadError) {
        guard let authenticator else {
            logger.notice("keys reload asked for, but CURVE is off: nothing to reload")
            throw KeysReloadError(curveOff: true, description: "this coordinator runs without CURVE: there are no keys to reload")
        }
        do {
            try authenticator.reload()
        } catch {
            logger.error("keys reload failed; the previous lists stay in force: \(error)")
            throw KeysReloadError(curveOff: false, description: "keys reload failed, the previous lists stay in force: \(error)")
        }
    }

    /// Serves until graceful shutdown (SIGINT/SIGTERM through a `ServiceGroup`) or cancellation.
    public func run() async throws {
        let engine = try CoordinatorEngine(coordinator: self)
        let inbox = self.inbox
        let forwarder = Task { [loop] in
            for await item in loop.inbound { inbox.post(CoordinatorEngine.decodingWorkerMessages(item)) }
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
            hangup.cancel()
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
            await zap?.stop()
            throw error
        }
        engine.shutdown()
        await loop.stop()
        await zap?.stop()
        logger.info("coordinator stopped")
    }
}

/// Why the keys could not be reloaded.
public struct KeysReloadError: Error, Sendable, CustomStringConvertible {
    /// The coordinator runs without CURVE.
    public var curveOff: Bool
    public var description: String
}
