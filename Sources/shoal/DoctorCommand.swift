import ArgumentParser
import Foundation
import ShoalClient
import ShoalCore
import ShoalProtocol
import ZeroMQ

/// `shoal doctor`: checks this machine, and optionally the path to a coordinator, layer by layer.
struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check libzmq and, given --coordinator, whether a coordinator is reachable and compatible.",
        discussion: """
            Each layer gets its own verdict: the address, the TCP connection (refused, unreachable, wrong \
            interface), the ZeroMQ handshake, and the Shoal protocol version. Exits 1 when any check fails.
            """
    )

    @Option(name: .long, help: "A coordinator endpoint to check, e.g. tcp://127.0.0.1:5571.")
    var coordinator: String?

    @Option(name: .long, help: "Seconds to wait for each network step.")
    var timeout: Double = 3

    @Flag(name: .long, help: "Print the checks as JSON.")
    var json = false

    @Option(name: .long, help: "Cluster file (default: cluster/cluster.yaml when present).")
    var config: String?

    @OptionGroup var keys: PeerKeyOptions

    func validate() throws {
        guard timeout > 0, timeout <= 600 else {
            throw ValidationError("--timeout must be between 0 and 600 seconds, got \(timeout)")
        }
    }

    func run() async throws {
        var checks = Preflight.localChecks(software: ShoalRelease.software)
        if let coordinator {
            let settings: Settings
            do { settings = try SettingsLoader.load(configPath: config) } catch { throw ValidationError(error.description) }
            let context = try Context()
            checks += await Preflight.probe(
                coordinator, timeout: .milliseconds(Int(timeout * 1000)), software: ShoalRelease.software,
                context: context, security: try keys.security(settings, role: .client, endpoint: nil))
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let rows = checks.map { ["status": $0.status.rawValue, "summary": $0.summary, "hint": $0.hint ?? ""] }
            print(String(decoding: try encoder.encode(rows), as: UTF8.self))
        } else {
            for check in checks { print(check) }
        }
        if checks.contains(where: { $0.status == .fail }) { throw ExitCode(1) }
    }
}
