import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import ShoalCore
import ShoalWorker
import ZeroMQ

/// `shoal worker`: a long-running worker process.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run a worker: it registers with the coordinator and runs the tasks it is given.",
        discussion: """
            Start as many as you like, on this machine or others that reach the coordinator, also while jobs run. \
            SIGTERM/SIGINT drain: no new tasks, running ones finish (up to --drain-timeout), then it leaves.
            """
    )

    @Option(name: .long, help: "The coordinator's worker endpoint (default: from the cluster file, tcp://127.0.0.1:5570).")
    var coordinator: String?

    @Option(name: .long, help: "Cluster file (default: cluster/cluster.yaml when present).")
    var config: String?

    @Option(name: .long, help: "Tasks run at once (default: the number of cores).")
    var slots: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(name: .long, help: "This worker's id (default HOST-PID).")
    var id: String?

    @Option(name: .long, help: "Seconds running tasks may take to finish when draining before they are handed back.")
    var drainTimeout: Double = 30

    @Flag(inversion: .prefixedNo, help: "Pass bulk frames through shared memory when the coordinator is on this host (default: the cluster file's coordinator.shared_memory, true).")
    var sharedMemory: Bool?

    @OptionGroup var keys: PeerKeyOptions

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard (1...4096).contains(slots) else { throw ValidationError("--slots must be 1…4096, got \(slots)") }
        guard drainTimeout >= 0 else { throw ValidationError("--drain-timeout must not be negative") }
        if let id, id.isEmpty || id.utf8.count > 255 { throw ValidationError("--id must be 1…255 bytes") }
    }

    func run() async throws {
        let settings: Settings
        do { settings = try SettingsLoader.load(configPath: config) } catch { throw ValidationError(error.description) }
        let logger = logging.bootstrap(label: "shoal.worker")
        var configuration = Worker.Configuration(
            coordinator: coordinator ?? settings.workerEndpoint, slots: slots, id: id ?? Worker.defaultID(),
            drainTimeout: .milliseconds(Int64(drainTimeout * 1000)), heartbeatInterval: settings.heartbeatInterval,
            heartbeatTimeout: settings.heartbeatTimeout,
            security: try keys.security(settings, role: .worker, endpoint: coordinator ?? settings.workerEndpoint))
        configuration.sharedMemory = sharedMemory ?? settings.sharedMemory
        let context = try Context()
        let worker = try await Worker.start(configuration, context: context, logger: logger)
        // A worker that was drained or dismissed returns from `run`: that ends the process normally.
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [.init(service: worker, successTerminationBehavior: .gracefullyShutdownGroup)],
            gracefulShutdownSignals: [.sigterm, .sigint], cancellationSignals: [], logger: logger))
        do {
            try await group.run()
        } catch let error as WorkerError {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(2)
        }
    }
}
