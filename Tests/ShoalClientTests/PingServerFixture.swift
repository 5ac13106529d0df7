import Logging
import ShoalCoordinator
import ShoalProtocol
import ZeroMQ

/// Runs a real `PingServer` (a ROUTER on a loop thread) for the length of `body`, then stops it.
func withPingServer<Result: Sendable>(
    at address: String = "tcp://127.0.0.1:0", versions: ClosedRange<UInt8> = ProtocolVersion.supported,
    _ body: (_ endpoint: String, _ context: Context) async throws -> Result
) async throws -> Result {
    let context = try Context()
    let server = try await PingServer.bind(
        address, context: context,
        responder: PingResponder(role: "ping-server", software: "shoal test", versions: versions),
        logger: Logger(label: "test.ping-server"))
    let running = Task { try await server.run() }
    defer { running.cancel() }
    let result = try await body(server.endpoint, context)
    running.cancel()
    try await running.value
    return result
}
