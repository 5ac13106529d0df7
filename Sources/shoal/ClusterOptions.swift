import ArgumentParser
import Foundation
import ShoalCore
import ShoalProtocol

/// Flags that locate the cluster: a cluster file, and overrides of its endpoints and state directory. They
/// fill one `Settings` value in the documented order: defaults, cluster.yaml, SHOAL_* environment, flags.
struct ClusterOptions: ParsableArguments {
    @Option(name: .long, help: "Cluster file (default: cluster/cluster.yaml when present).")
    var config: String?

    @Option(name: .long, help: "The coordinator's worker endpoint (default tcp://127.0.0.1:5570).")
    var workerEndpoint: String?

    @Option(name: .long, help: "The coordinator's client endpoint (default tcp://127.0.0.1:5571).")
    var clientEndpoint: String?

    @Option(name: .long, help: "The coordinator's event endpoint (default tcp://127.0.0.1:5572).")
    var eventsEndpoint: String?

    @Option(name: .long, help: "The coordinator's state directory (default .shoal/state).")
    var stateDir: String?

    @Option(name: .long, help: "Seconds between heartbeats (default 0.5).")
    var heartbeatInterval: Double?

    @Option(name: .long, help: "Seconds of silence before a peer is declared dead (default 5).")
    var heartbeatTimeout: Double?

    @OptionGroup var keys: KeysDirectoryOptions

    @Flag(inversion: .prefixedNo, help: "Pass bulk frames to workers on this host through shared memory (default: the cluster file's coordinator.shared_memory, true).")
    var sharedMemory: Bool?

    @Flag(name: .long, help: "Allow binding a non-loopback address without CURVE (a network you trust).")
    var insecure = false

    /// The settings these flags describe, or a `ValidationError` naming the file, line or flag at fault.
    func settings() throws -> Settings {
        var settings: Settings
        do {
            settings = try SettingsLoader.load(configPath: config)
        } catch {
            throw ValidationError(error.description)
        }
        for (flag, value) in [("--worker-endpoint", workerEndpoint), ("--client-endpoint", clientEndpoint),
                              ("--events-endpoint", eventsEndpoint)] {
            guard let value else { continue }
            do { _ = try Endpoint(value) } catch { throw ValidationError("\(flag): \(error)") }
        }
        if let workerEndpoint { settings.workerEndpoint = workerEndpoint }
        if let clientEndpoint { settings.clientEndpoint = clientEndpoint }
        if let eventsEndpoint { settings.eventsEndpoint = eventsEndpoint }
        if let stateDir { settings.stateDirectory = stateDir }
        if let heartbeatInterval { settings.heartbeatInterval = .milliseconds(Int64(heartbeatInterval * 1000)) }
        if let heartbeatTimeout { settings.heartbeatTimeout = .milliseconds(Int64(heartbeatTimeout * 1000)) }
        keys.apply(to: &settings)
        if let sharedMemory { settings.sharedMemory = sharedMemory }
        settings.insecure = insecure
        if let problem = SettingsLoader.inconsistency(in: settings) { throw ValidationError(problem) }
        return settings
    }
}

/// Where a client command finds the coordinator.
struct CoordinatorAddressOptions: ParsableArguments {
    @Option(name: .long, help: "The coordinator's client endpoint (default: from the cluster file, tcp://127.0.0.1:5571).")
    var coordinator: String?

    @Option(name: .long, help: "Cluster file (default: cluster/cluster.yaml when present).")
    var config: String?

    @Option(name: .long, help: "Seconds to wait for the coordinator's answer.")
    var timeout: Double = 10

    @OptionGroup var keys: PeerKeyOptions

    /// CURVE towards the coordinator's client endpoint, as the cluster file and the flags say.
    func security() throws -> ClientSecurity {
        let settings: Settings
        do { settings = try SettingsLoader.load(configPath: config) } catch { throw ValidationError(error.description) }
        return try keys.security(settings, role: .client, endpoint: try endpoint())
    }

    func endpoint() throws -> String {
        if let coordinator {
            do { _ = try Endpoint(coordinator) } catch { throw ValidationError("--coordinator: \(error)") }
            return coordinator
        }
        do {
            return try SettingsLoader.load(configPath: config).clientEndpoint
        } catch {
            throw ValidationError(error.description)
        }
    }

    var deadline: Duration { .milliseconds(Int64(timeout * 1000)) }
}
