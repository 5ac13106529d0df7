import ArgumentParser
import ShoalCore

extension CurveMode: ExpressibleByArgument {}

/// Whether to use CURVE and where the keys are: for the coordinator (`ClusterOptions`) and for workers and
/// clients (`PeerKeyOptions`) alike.
struct KeysDirectoryOptions: ParsableArguments {
    @Option(name: .long, help: "CURVE: auto (when the keys directory holds the coordinator's key), on or off.")
    var curve: CurveMode?

    @Option(name: .long, help: "The keys directory: coordinator.key(_secret), workers/ and clients/ (default cluster/keys).")
    var keysDir: String?

    func apply(to settings: inout Settings) {
        if let curve { settings.curve = curve }
        if let keysDir { settings.keysDirectory = keysDir }
    }

    /// The same flags again, for a child process.
    var arguments: [String] {
        (curve.map { ["--curve", $0.rawValue] } ?? []) + (keysDir.map { ["--keys-dir", $0] } ?? [])
    }
}

/// How a worker or client process finds its keys: the keys directory (with the coordinator's public key), its own
/// secret certificate, and whether to use CURVE at all. Each flag overrides the cluster file's `security:` key.
struct PeerKeyOptions: ParsableArguments {
    @OptionGroup var directory: KeysDirectoryOptions

    @Option(name: .long, help: "This process's secret certificate (default KEYS/worker.key_secret or KEYS/client.key_secret).")
    var key: String?

    @Option(name: .long, help: "The coordinator's public certificate (default KEYS/coordinator.key).")
    var coordinatorKey: String?

    @Flag(name: .long, help: "Allow connecting to a non-loopback coordinator without CURVE (a network you trust).")
    var insecure = false

    func apply(to settings: inout Settings) {
        directory.apply(to: &settings)
        if let key { settings.identityKey = key }
        if let coordinatorKey { settings.coordinatorKey = coordinatorKey }
        if insecure { settings.insecure = true }
    }

    /// The CURVE options for a process in `role` connecting to `endpoint` (`nil`: no plaintext rule, for
    /// `shoal doctor`), or a `ValidationError` saying which key is missing or why plaintext is refused.
    func security(_ settings: Settings, role: PeerRole, endpoint: String?) throws -> ClientSecurity {
        var settings = settings
        apply(to: &settings)
        do {
            return try ClientSecurity.resolve(settings, role: role, endpoint: endpoint)
        } catch {
            throw ValidationError("\(error)")
        }
    }
}
