import ShoalClient
import ShoalProtocol
import ShoalTestSupport
import Testing
import ZeroMQ

/// `Pinger` against real servers over loopback TCP.
@Suite struct PingerTests {
    @Test func pongsComeBackForEachNonce() async throws {
        try await withPingServer { endpoint, context in
            let pinger = try await Pinger(endpoint: endpoint, context: context)
            for nonce in [UInt64(1), 2, 0xFFFF_FFFF_FFFF] {
                let outcome = await pinger.ping(nonce: nonce, sender: "test", timeout: .seconds(30))
                guard case .pong(let pong, let roundTrip) = outcome else {
                    Issue.record("expected PONG, got \(outcome)")
                    break
                }
                #expect(pong.nonce == nonce)
                #expect(pong.role == "ping-server")
                #expect(roundTrip > .zero)
            }
            #expect(pinger.connection.handshakeSucceeded)
            await pinger.close()
        }
    }

    @Test func aServerOfOtherVersionsRefusesWithItsRange() async throws {
        let newer = (ProtocolVersion.current + 1)...(ProtocolVersion.current + 2)
        try await withPingServer(versions: newer) { endpoint, context in
            let pinger = try await Pinger(endpoint: endpoint, context: context)
            let outcome = await pinger.ping(nonce: 7, sender: "test", timeout: .seconds(30))
            await pinger.close()
            guard case .refused(let reply) = outcome else { Issue.record("expected a refusal, got \(outcome)"); return }
            #expect(reply.code == .unsupportedVersion)
            #expect(reply.minVersion == newer.lowerBound && reply.maxVersion == newer.upperBound)
        }
    }

    @Test func aZeroMQPeerAnsweringNonsenseIsNotShoal() async throws {
        let context = try Context()
        let loop = try await SocketLoop.start(
            context: context, sockets: [SocketSpec(.router, options: [.linger(milliseconds: 0)], bind: ["tcp://127.0.0.1:0"])])
        let echo = Task {
            for await item in loop.inbound {
                if case .message(_, let frames) = item { loop.send([frames[0], Frame("hello?")], on: 0) }
            }
        }
        let pinger = try await Pinger(endpoint: loop.endpoints[0][0], context: context)
        let outcome = await pinger.ping(nonce: 1, sender: "test", timeout: .seconds(30))
        await pinger.close()
        await loop.stop()
        await echo.value
        guard case .notShoal = outcome else { Issue.record("expected notShoal, got \(outcome)"); return }
    }

    @Test func aCurveServerFailsThePlainHandshake() async throws {
        let context = try Context()
        let keys = try CurveKeyPair.generate()
        let server = try Socket(context, type: .router)
        try server.set([.linger(milliseconds: 0), .curveServer(true), .curveSecretKey(keys.secretKey)])
        try server.bind("tcp://127.0.0.1:0")
        let pinger = try await Pinger(endpoint: try server.lastEndpoint, context: context)
        let outcome = await pinger.ping(nonce: 1, sender: "test", timeout: .seconds(30))
        await pinger.close()
        guard case .handshakeFailed(let event) = outcome else { Issue.record("expected handshakeFailed, got \(outcome)"); return }
        #expect(event.isHandshakeFailure)
    }

    @Test func aSilentPeerTimesOutAfterTheHandshake() async throws {
        let context = try Context()
        let silent = try Socket(context, type: .router)
        try silent.set(.linger(milliseconds: 0))
        try silent.bind("tcp://127.0.0.1:0")
        let pinger = try await Pinger(endpoint: try silent.lastEndpoint, context: context)
        // Long enough for the handshake to complete on a loaded machine (it must, for the verdict to be "silent").
        let outcome = await pinger.ping(nonce: 1, sender: "test", timeout: .seconds(2))
        #expect(outcome == .timedOut)
        #expect(pinger.connection.handshakeSucceeded)
        await pinger.close()
    }
}
