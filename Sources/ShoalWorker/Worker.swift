import Foundation
import Logging
import ServiceLifecycle
import ShoalCore
import ShoalProtocol
import ZeroMQ

/// The worker service: one DEALER to the coordinator's worker endpoint, up to `slots` attempts running at once
/// on the executors of their kinds, progress in heartbeats, and a drain on SIGTERM.
public final class Worker: Service {
    /// How a worker runs.
    public struct Configuration: Sendable {
        /// The coordinator's worker endpoint.
        public var coordinator: String
        /// Attempts run at once: the credit this worker advertises.
        public var slots: Int
        /// Stable for the process's life; also its ZeroMQ routing id.
        public var id: WorkerID
        /// On drain, how long running attempts may take to finish before they are handed back.
        public var drainTimeout: Duration
        /// Where attempts get their private scratch directories.
        public var scratchDirectory: String
        /// Used until the coordinator's WELCOME says otherwise.
        public var heartbeatInterval: Duration
        public var heartbeatTimeout: Duration
        /// CURVE towards the coordinator, or plaintext.
        public var security: ClientSecurity
        /// Offer shared memory for bulk frames (`Settings.sharedMemory`); used only when the coordinator's probe
        /// check shows it shares this host's memory.
        public var sharedMemory = true

        public init(
            coordinator: String, slots: Int = ProcessInfo.processInfo.activeProcessorCount,
            id: WorkerID = Worker.defaultID(), drainTimeout: Duration = .seconds(30),
            scratchDirectory: String = NSTemporaryDirectory(), heartbeatInterval: Duration = .milliseconds(500),
            heartbeatTimeout: Duration = .seconds(5), security: ClientSecurity = .plaintext
        ) {
            self.coordinator = coordinator
            self.slots = slots
            self.id = id
            self.drainTimeout = drainTimeout
            self.scratchDirectory = scratchDirectory
            self.heartbeatInterval = heartbeatInterval
            self.heartbeatTimeout = heartbeatTimeout
            self.security = security
        }
    }

    public let configuration: Configuration
    let loop: SocketLoop
    let executors: ExecutorRegistry
    let logger: Logger

    private init(configuration: Configuration, loop: SocketLoop, executors: ExecutorRegistry, logger: Logger) {
        self.configuration = configuration
        self.loop = loop
        self.executors = executors
        self.logger = logger
    }

    /// "host-pid": unique among live processes, the same on every reconnection of this one.
    public static func defaultID() -> WorkerID {
        "\(ProcessInfo.processInfo.hostName)-\(getpid())"
    }

    /// Connects to the coordinator (ZeroMQ reconnects by itself: 100 ms doubling to 5 s).
    public static func start(
        _ configuration: Configuration, context: Context, executors: ExecutorRegistry = .standard, logger: Logger
    ) async throws -> Worker {
        let limit = Int64(ProtocolLimits.standard.maxPayloadFrameBytes) + (1 << 20)
        // What workers and coordinators killed with -9 on this host left in shared memory.
        if configuration.sharedMemory { SharedMemorySegment.removeOrphans() }
        let loop = try await SocketLoop.start(
            context: context,
            sockets: [SocketSpec(
                .dealer,
                options: [.linger(milliseconds: 0), .routingID(Array(configuration.id.utf8)), .maxMessageSize(limit),
                          .reconnectInterval(milliseconds: 100), .reconnectIntervalMax(milliseconds: 5_000),
                          .sendHighWaterMark(0), .receiveHighWaterMark(0)] + configuration.security.socketOptions,
                connect: [configuration.coordinator], monitorEvents: SocketEvent.handshakeFailures,
                lingerOnStop: 1_000)],
            name: "shoal-worker")
        return Worker(configuration: configuration, loop: loop, executors: executors, logger: logger)
    }

    /// Works until dismissed or drained (SIGTERM/SIGINT through a `ServiceGroup`, or `shoal drain`).
    /// - Throws: `WorkerError` when the coordinator refuses this worker (another protocol version).
    public func run() async throws {
        let inbox = Inbox<WorkerEngine.Input>()
        let engine = WorkerEngine(worker: self, inputs: inbox)
        let forwarder = Task { [loop] in
            for await item in loop.inbound { inbox.post(.socket(item)) }
        }
        let ticker = Task { [interval = configuration.heartbeatInterval] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval / 2)
                inbox.post(.tick)
            }
        }
        defer {
            ticker.cancel()
            forwarder.cancel()
        }
        // SIGTERM/SIGINT drain; cancellation (no graceful shutdown) ends the inbox, and with it the loop.
        let failure = await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await Self.serve(engine, inbox: inbox)
            } onGracefulShutdown: {
                inbox.post(.drain(reason: "signal"))
            }
        } onCancel: {
            inbox.finish()
        }
        engine.cancelAll()
        await stopCommands()
        await loop.stop()
        // The attempts' scratch directories are gone with them; their parent goes too when it is empty
        // (rmdir refuses otherwise, so a cancelled attempt still cleaning up keeps its files).
        rmdir((configuration.scratchDirectory as NSString).appendingPathComponent("shoal-\(configuration.id)"))
        if let failure { throw failure }
        logger.info("worker stopped", metadata: ["worker": "\(configuration.id)"])
    }
}

extension Worker {
    /// Leaves no command running: cancelled attempts get their grace period to end (SIGTERM, then SIGKILL from
    /// their own timers), and whatever still runs after it is killed here, before the process exits and those
    /// timers with it.
    func stopCommands() async {
        let grace = (executors.executor(for: "command") as? CommandExecutor)?.killGracePeriod ?? .seconds(5)
        let deadline = ContinuousClock.now + grace + .seconds(1)
        while CommandProcessGroups.count > 0 && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        let killed = CommandProcessGroups.killAll()
        if killed > 0 {
            logger.warning("killed the process groups of commands still running at exit", metadata: ["count": "\(killed)"])
        }
    }

    /// Feeds `engine` batch by batch until it is finished or the inbox ends; results leave at the end of each
    /// batch. Returns the error that stopped it, if one did.
    fileprivate static func serve(_ engine: WorkerEngine, inbox: Inbox<WorkerEngine.Input>) async -> Error? {
        engine.begin(now: .now)
        while let batch = await inbox.next() {
            do {
                for input in batch {
                    guard try engine.handle(input, now: .now) == .continuing else {
                        engine.flush(now: .now)
                        return nil
                    }
                }
            } catch {
                return error
            }
            engine.flush(now: .now)
        }
        return nil
    }
}

/// Why a worker stopped before its work was done.
public struct WorkerError: Error, CustomStringConvertible {
    public var description: String
}
