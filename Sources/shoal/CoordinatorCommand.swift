import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import ShoalCoordinator
import ShoalCore
import ZeroMQ

/// `shoal coordinator`: the long-running coordinator service.
struct CoordinatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coordinator",
        abstract: "Run the coordinator: it plans jobs into tasks, hands them to workers, and keeps durable state.",
        discussion: """
            Restarting it on the same --state-dir resumes every unfinished job; workers reconnect by themselves. \
            SIGINT/SIGTERM stop it cleanly (running tasks go on on their workers).
            """
    )

    @OptionGroup var cluster: ClusterOptions
    @OptionGroup var logging: LoggingOptions

    @Option(name: .long, help: "Once ready, write the bound endpoints here as JSON (for scripts and tests).")
    var readyFile: String?

    func run() async throws {
        let settings = try cluster.settings()
        let logger = logging.bootstrap(label: "shoal.coordinator")
        // One libzmq I/O thread per core, up to 4: each worker's connection is read, written and (with CURVE)
        // encrypted by one of them, so gradients from several workers arrive in parallel (one thread moves about
        // 1 GB/s in the clear, a third of that with CURVE).
        let context = try Context(ioThreads: Int32(min(4, max(1, ProcessInfo.processInfo.activeProcessorCount))))
        let coordinator = try await Coordinator.start(settings: settings, context: context, logger: logger)
        let ready = [
            "workers": coordinator.workerEndpoint, "clients": coordinator.clientEndpoint,
            "events": coordinator.eventsEndpoint, "pid": "\(getpid())",
        ]
        if let readyFile { try ReadyFile.write(ready, to: readyFile) }
        FileHandle.standardOutput.write(Data(
            "coordinator ready: workers \(coordinator.workerEndpoint), clients \(coordinator.clientEndpoint), events \(coordinator.eventsEndpoint)\n".utf8))
        let group = ServiceGroup(
            services: [coordinator], gracefulShutdownSignals: [.sigterm, .sigint], cancellationSignals: [],
            logger: logger)
        try await group.run()
    }
}

/// A small JSON file a service writes once it is ready: written under a temporary name, then renamed, so a
/// reader never sees half of it.
enum ReadyFile {
    static func write(_ values: [String: String], to path: String) throws {
        let data = try JSONSerialization.data(withJSONObject: values, options: [.sortedKeys])
        let temporary = path + ".tmp"
        try data.write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, path) == 0 else {
            throw ValidationError("cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }

    static func read(_ path: String) -> [String: String]? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: String]
    }
}
