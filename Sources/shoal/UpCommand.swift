import ArgumentParser
import Foundation

/// `shoal up`: a local cluster in the foreground until Ctrl-C.
struct UpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Start a coordinator and N workers on this machine and keep them running until Ctrl-C.",
        discussion: """
            Endpoints and the state directory come from the cluster file (cluster/cluster.yaml) and flags. More \
            workers can join at any time: `shoal worker --coordinator <worker endpoint>` here or on other hosts.
            """
    )

    @Option(name: .long, help: "Worker processes to start.")
    var workers: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)

    @Option(name: .long, help: "Tasks each worker runs at once (default: its core count).")
    var slots: Int?

    @OptionGroup var cluster: ClusterOptions

    func validate() throws {
        guard (0...256).contains(workers) else { throw ValidationError("--workers must be 0…256, got \(workers)") }
    }

    func run() async throws {
        let settings = try cluster.settings()
        let local = try LocalCluster(logDirectory: (settings.stateDirectory as NSString).appendingPathComponent("logs"))
        var arguments = [
            "--state-dir", settings.stateDirectory, "--worker-endpoint", settings.workerEndpoint,
            "--client-endpoint", settings.clientEndpoint, "--events-endpoint", settings.eventsEndpoint,
            "--heartbeat-interval", "\(settings.heartbeatInterval.seconds)",
            "--heartbeat-timeout", "\(settings.heartbeatTimeout.seconds)",
        ]
        var workerArguments: [String] = []
        if let config = cluster.config {
            arguments += ["--config", config]
            workerArguments += ["--config", config]
        }
        arguments += cluster.keys.arguments
        workerArguments += cluster.keys.arguments
        if !settings.sharedMemory {
            arguments.append("--no-shared-memory")
            workerArguments.append("--no-shared-memory")
        }
        if cluster.insecure {
            arguments.append("--insecure")
            workerArguments.append("--insecure")
        }
        let started = ContinuousClock.now
        try local.startCoordinator(arguments)
        try local.startWorkers(workers, slots: slots, extra: workerArguments)
        print("""
            shoal up: coordinator pid \(local.coordinator?.processIdentifier ?? 0), \(workers) worker(s), \
            ready in \(String(format: "%.2f", started.duration(to: .now).seconds)) s
              workers join at   \(local.endpoints["workers"] ?? "?")
              clients submit to \(local.endpoints["clients"] ?? "?")
              events on         \(local.endpoints["events"] ?? "?")
              logs in           \(local.logDirectory)
            Ctrl-C stops everything.
            """)
        let trap = InterruptTrap { [pids = local.pids] in pids.terminateAll(grace: LocalCluster.stopGrace) }
        defer { trap.cancel() }
        // Wait for the coordinator to exit (it only does on a signal or a fatal error).
        while local.coordinator?.isRunning == true { try await Task.sleep(for: .milliseconds(200)) }
        local.stop(grace: LocalCluster.stopGrace)
        throw ExitCode(1)
    }
}
