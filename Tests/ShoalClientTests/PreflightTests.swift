import Foundation
import ShoalClient
import ShoalProtocol
import ShoalTestSupport
import Testing
import ZeroMQ

/// `shoal doctor`'s probe, layer by layer, against real listeners on loopback: each way of being wrong gets its
/// own verdict.
@Suite struct PreflightTests {
    static let software = "shoal test"

    /// The default deadline is generous: a probe that gets its answer returns at once, and at the start of the
    /// suite hundreds of tests share two cores, so a live server can take seconds to be scheduled. Tests that
    /// expect silence pass a short deadline of their own.
    private func probe(_ address: String, timeout: Duration = .seconds(30), context: Context? = nil) async throws
        -> [PreflightCheck]
    {
        try await Preflight.probe(address, timeout: timeout, software: Self.software, context: context ?? Context())
    }

    private func failure(_ checks: [PreflightCheck]) -> PreflightCheck? {
        checks.first { $0.status == .fail }
    }

    @Test func localChecksPassOnThisMachine() {
        let checks = Preflight.localChecks(software: Self.software)
        #expect(checks.allSatisfy { $0.status == .pass }, "\(checks)")
        #expect(checks.contains { $0.summary == "libzmq \(ZeroMQ.versionString)" })
        #expect(checks.contains { $0.summary.contains("CURVE") })
    }

    @Test func aRunningServerPassesEveryLayer() async throws {
        try await withPingServer { endpoint, context in
            let checks = try await probe(endpoint, context: context)
            #expect(failure(checks) == nil, "\(checks)")
            #expect(checks.map(\.summary).contains { $0.hasPrefix("TCP connection to 127.0.0.1:") })
            #expect(checks.map(\.summary).contains { $0.contains("is a Shoal ping-server (shoal test), protocol \(ProtocolVersion.current)") })
        }
    }

    @Test func anIPCServerSkipsTheTCPLayer() async throws {
        let directory = try TemporaryDirectory()
        try await withPingServer(at: "ipc://\(directory.path)/ping.sock") { endpoint, context in
            let checks = try await probe(endpoint, context: context)
            #expect(failure(checks) == nil, "\(checks)")
            #expect(!checks.contains { $0.summary.hasPrefix("TCP") })
        }
    }

    @Test func aClosedPortIsConnectionRefused() async throws {
        // A port that was free a moment ago: listened on, then closed — by a plain socket, whose close(2) is
        // done when it returns (libzmq closes its listeners later, on its I/O thread).
        let port = try RawTCPListener().port  // closed again as the listener goes away
        let endpoint = "tcp://127.0.0.1:\(port)"
        let fail = try #require(failure(try await probe(endpoint)))
        #expect(fail.summary.hasPrefix("connection refused: nothing listens on 127.0.0.1:"), "\(fail)")
        #expect(fail.hint?.contains("5571") == true)
    }

    @Test func anotherLoopbackAddressIsTheWrongInterface() async throws {
        try await withPingServer { endpoint, _ in
            let port = try #require(endpoint.split(separator: ":").last)
            let fail = try #require(failure(try await probe("tcp://127.0.0.2:\(port)")))
            #expect(fail.summary.hasPrefix("wrong interface: nothing listens on 127.0.0.2:\(port)"), "\(fail)")
            #expect(fail.summary.contains("127.0.0.1"))
            #expect(fail.hint?.contains("tcp://127.0.0.1:\(port)") == true)
        }
    }

    @Test func anotherProtocolVersionIsAVersionMismatch() async throws {
        let newer = (ProtocolVersion.current + 1)...(ProtocolVersion.current + 2)
        try await withPingServer(versions: newer) { endpoint, context in
            let fail = try #require(failure(try await probe(endpoint, context: context)))
            #expect(fail.summary.hasPrefix("protocol version mismatch"), "\(fail)")
            #expect(fail.summary.contains("speaks \(newer.lowerBound)…\(newer.upperBound)"))
            #expect(fail.summary.contains("this shoal speaks \(ProtocolVersion.minimum)…\(ProtocolVersion.current)"))
        }
    }

    @Test func aTCPServerThatIsNotZeroMQFailsTheHandshake() async throws {
        let listener = try RawTCPListener()
        // Silence is the verdict, so the deadline is spent in full: long enough for TCP on a loaded machine.
        let checks = try await probe("tcp://127.0.0.1:\(listener.port)", timeout: .seconds(2))
        #expect(checks.first?.status == .pass, "TCP itself connects: \(checks)")
        let fail = try #require(failure(checks))
        #expect(fail.summary.contains("accepted TCP but no ZeroMQ handshake completed"), "\(fail)")
    }

    @Test func aZeroMQServiceThatIgnoresPingIsNamed() async throws {
        let context = try Context()
        let silent = try Socket(context, type: .router)
        try silent.set(.linger(milliseconds: 0))
        try silent.bind("tcp://127.0.0.1:0")
        // Long enough for the handshake to complete on a loaded machine (it must, for the verdict to be "silent").
        let checks = try await probe(try silent.lastEndpoint, timeout: .seconds(2), context: context)
        #expect(checks.contains { $0.status == .pass && $0.summary.hasPrefix("ZeroMQ handshake") }, "\(checks)")
        let fail = try #require(failure(checks))
        #expect(fail.summary.contains("did not answer PING"), "\(fail)")
    }

    @Test(arguments: ["127.0.0.1:5571", "tcp://127.0.0.1", "http://127.0.0.1:5571"])
    func aMalformedAddressIsExplained(address: String) async throws {
        let checks = try await probe(address)
        #expect(checks.count == 1)
        let fail = try #require(failure(checks))
        #expect(fail.summary.contains(address))
        #expect(fail.hint?.contains("tcp://127.0.0.1:5571") == true)
    }

    @Test(arguments: ["tcp://*:5571", "tcp://127.0.0.1:0"])
    func aBindAddressIsNotSomethingToConnectTo(address: String) async throws {
        let fail = try #require(failure(try await probe(address)))
        #expect(fail.summary.contains("names no single host and port"))
    }
}

/// A plain TCP listener on loopback that accepts nothing and says nothing: what a non-ZeroMQ service (or a
/// half-dead one) looks like to a ZeroMQ client.
final class RawTCPListener {
    let descriptor: Int32
    let port: UInt16

    init() throws {
        (descriptor, port) = try RefusingTCPPort.boundLoopbackSocket()
        guard listen(descriptor, 8) == 0 else {
            let code = POSIXErrorCode(rawValue: errno) ?? .EADDRINUSE
            close(descriptor)
            throw POSIXError(code)
        }
    }

    deinit { close(descriptor) }
}
