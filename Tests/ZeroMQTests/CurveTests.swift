import CZeroMQ
import Foundation
import Testing
@testable import ZeroMQ

/// CURVE: keys from libzmq, an encrypted round trip, and a refused handshake with the wrong server key.
@Suite struct CurveTests {
    @Test func libzmqHasCurve() {
        #expect(ZeroMQ.has("curve"))
    }

    @Test func derivedPublicKeyMatchesGeneratedPair() throws {
        try #require(ZeroMQ.has("curve"))
        let generated = try CurveKeyPair.generate()
        #expect(generated.publicKey != generated.secretKey)
        let derived = try CurveKeyPair(secretKey: generated.secretKey)
        #expect(derived == generated)
        #expect(derived.publicKey.z85 == generated.publicKey.z85)

        let other = try CurveKeyPair.generate()
        #expect(other.secretKey != generated.secretKey, "two generated secret keys are equal")
    }

    @Test func keyTextRoundTrips() throws {
        try #require(ZeroMQ.has("curve"))
        let pair = try CurveKeyPair.generate()
        #expect(pair.publicKey.z85.utf8.count == 40)
        #expect(CurveKey(z85: pair.publicKey.z85) == pair.publicKey)
        #expect(CurveKey(bytes: pair.secretKey.bytes) == pair.secretKey)
        #expect(pair.secretKey.description == pair.secretKey.z85)
    }

    /// A CURVE server ROUTER and a client DEALER that trusts `trustedServerKey`, on a fresh tcp port.
    struct Setup {
        let context: Context
        let server: Socket
        let client: Socket
        let monitor: SocketMonitor
        let endpoint: String

        init(trustedServerKey: CurveKey? = nil) throws {
            let serverKeys = try CurveKeyPair.generate()
            let clientKeys = try CurveKeyPair.generate()
            context = try Context()
            server = try Socket.make(context, .router)
            try server.set([.curveServer(true), .curveSecretKey(serverKeys.secretKey)])
            endpoint = try server.bindResolved("tcp://127.0.0.1:0")

            client = try Socket.make(context, .dealer)
            try client.set([
                .curveServerKey(trustedServerKey ?? serverKeys.publicKey),
                .curvePublicKey(clientKeys.publicKey),
                .curveSecretKey(clientKeys.secretKey),
                .routingID(Array("curve-client".utf8)),
            ])
            monitor = try SocketMonitor(
                watching: client,
                events: ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL
                    | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
            try client.connect(endpoint)
        }
    }

    @Test func handshakeSucceedsAndMessagesRoundTripWithTheRightServerKey() throws {
        try #require(ZeroMQ.has("curve"))
        let setup = try Setup()
        let handshake = try setup.monitor.waitForEvent { $0.isHandshakeFailure || $0 == .handshakeSucceeded(endpoint: setup.endpoint) }
        #expect(handshake.match == .handshakeSucceeded(endpoint: setup.endpoint), "events seen: \(handshake.seen)")

        try setup.client.send([Frame("secret request")])
        let request = try #require(try setup.server.receive(), "the server received nothing")
        #expect(request.map(\.utf8String) == ["curve-client", "secret request"])
        try setup.server.send([Frame("curve-client"), Frame("secret reply")])
        let reply = try #require(try setup.client.receive(), "the client received no reply")
        #expect(reply.map(\.utf8String) == ["secret reply"])
    }

    @Test func handshakeFailsAndNothingArrivesWithAWrongServerKey() throws {
        try #require(ZeroMQ.has("curve"))
        let impostor = try CurveKeyPair.generate().publicKey
        let setup = try Setup(trustedServerKey: impostor)
        // Queued before the handshake; it must never be delivered.
        #expect(try setup.client.send([Frame("must not arrive")], dontWait: true))

        let handshake = try setup.monitor.waitForEvent { $0.isHandshakeFailure || $0 == .handshakeSucceeded(endpoint: setup.endpoint) }
        let failure = try #require(handshake.match, "no handshake event; events seen: \(handshake.seen)")
        #expect(failure.isHandshakeFailure, "the handshake with a wrong server key did not fail: \(failure)")

        let poller = Poller()
        poller.register(setup.server)
        #expect(try poller.poll(timeout: 300) == 0, "the server received a message over a failed handshake")
        #expect(try setup.server.receive(dontWait: true) == nil)
    }
}
