import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import ShoalClient
import ShoalCoordinator
import ShoalProtocol
import ZeroMQ

/// `shoal ping`: round trips to a Shoal endpoint, or `--listen` to answer them.
struct PingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ping",
        abstract: "Measure PING round trips to a Shoal endpoint, or answer them with --listen.",
        discussion: """
            shoal ping --listen tcp://127.0.0.1:0 --endpoint-file /tmp/ep   # answer PING until SIGINT/SIGTERM
            shoal ping "$(cat /tmp/ep)" --count 5
            """
    )

    @Argument(help: "The endpoint to ping, e.g. tcp://127.0.0.1:5571.")
    var endpoint: String?

    @Option(name: .long, help: "Answer PING on this endpoint instead (port 0 picks a free port).")
    var listen: String?

    @Option(name: .long, help: "With --listen: write the bound endpoint to this file once ready.")
    var endpointFile: String?

    @Option(name: .long, help: "How many round trips.")
    var count: Int = 3

    @Option(name: .long, help: "Seconds to wait for each answer.")
    var timeout: Double = 3

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        switch (endpoint, listen) {
        case (nil, nil): throw ValidationError("give an endpoint to ping, or --listen ENDPOINT to answer pings")
        case (.some, .some): throw ValidationError("give either an endpoint to ping or --listen, not both")
        default: break
        }
        if endpointFile != nil && listen == nil { throw ValidationError("--endpoint-file goes with --listen") }
        guard (1...1_000_000).contains(count) else { throw ValidationError("--count must be 1…1000000") }
        guard timeout > 0, timeout <= 600 else { throw ValidationError("--timeout must be 0…600 seconds") }
        for text in [endpoint, listen].compactMap({ $0 }) {
            do { _ = try Endpoint(text) } catch { throw ValidationError("\(error)") }
        }
    }

    func run() async throws {
        let context = try Context()
        if let listen {
            try await serve(listen, context: context)
        } else if let endpoint {
            try await ping(endpoint, context: context)
        }
    }

    private func serve(_ address: String, context: Context) async throws {
        let logger = logging.bootstrap(label: "shoal.ping")
        let server = try await PingServer.bind(
            address, context: context, responder: PingResponder(role: "ping-server", software: ShoalRelease.software),
            logger: logger)
        if let endpointFile {
            // Written whole under a temporary name, then renamed: a reader never sees half an endpoint.
            let temporary = endpointFile + ".tmp"
            try Data((server.endpoint + "\n").utf8).write(to: URL(fileURLWithPath: temporary))
            _ = rename(temporary, endpointFile)
        }
        // Unbuffered, so a script reading our stdout through a pipe sees the line at once.
        FileHandle.standardOutput.write(Data("listening \(server.endpoint)\n".utf8))
        let group = ServiceGroup(
            services: [server], gracefulShutdownSignals: [.sigterm, .sigint], cancellationSignals: [],
            logger: logger)
        try await group.run()
    }

    private func ping(_ address: String, context: Context) async throws {
        let pinger = try await Pinger(endpoint: address, context: context)
        var roundTrips: [Duration] = []
        var failure: String?
        for sequence in 1...count {
            switch await pinger.ping(nonce: UInt64(sequence), sender: "shoal ping", timeout: .seconds(timeout)) {
            case .pong(let pong, let roundTrip):
                roundTrips.append(roundTrip)
                print("PONG from \(pong.role) at \(address): seq=\(sequence) protocol=\(pong.version) "
                      + "time=\(milliseconds(roundTrip)) ms")
            case let other:
                failure = "\(address): \(describe(other))"
            }
            if failure != nil { break }
        }
        await pinger.close()
        if !roundTrips.isEmpty {
            let sorted = roundTrips.sorted()
            print("\(roundTrips.count) PONG, round trip min/median/max = \(milliseconds(sorted.first!))/"
                  + "\(milliseconds(sorted[sorted.count / 2]))/\(milliseconds(sorted.last!)) ms")
        }
        if let failure {
            FileHandle.standardError.write(Data(("error: " + failure + "\n").utf8))
            throw ExitCode(1)
        }
    }

    private func describe(_ outcome: Pinger.Outcome) -> String {
        switch outcome {
        case .pong: "answered"
        case .refused(let reply): "refused: \(reply.code): \(reply.message)"
        case .notShoal(let reason): "not a Shoal endpoint: \(reason)"
        case .handshakeFailed(let event): "ZeroMQ handshake failed: \(event)"
        case .timedOut: "no answer within \(timeout) s (run `shoal doctor --coordinator \(endpoint ?? "")` to see why)"
        }
    }

    private func milliseconds(_ duration: Duration) -> String {
        String(format: "%.3f", Double(duration.components.seconds) * 1000
               + Double(duration.components.attoseconds) / 1e15)
    }
}
