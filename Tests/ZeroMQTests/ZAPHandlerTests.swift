import CZeroMQ
import Foundation
import ShoalTestSupport
import Synchronization
import Testing
@testable import ZeroMQ

/// The ZAP handler (RFC 27) and the socket loop's `admit` gate: real CURVE handshakes over tcp loopback.
@Suite struct ZAPHandlerTests {
    /// The requests the handler saw.
    final class Requests: Sendable {
        let seen = Mutex<[ZAPHandler.Request]>([])
    }

    /// A CURVE server loop (ROUTER, ZAP domain "test", gated by `admit`) with a handler allowing `allowed`.
    private func server(
        allowing allowed: Set<CurveKey>, requests: Requests, admit: (@Sendable (String) -> Bool)? = nil
    ) async throws -> (Context, CurveKeyPair, ZAPHandler, SocketLoop) {
        let context = try Context()
        let keys = try CurveKeyPair.generate()
        let zap = try await ZAPHandler.start(context: context) { request in
            requests.seen.withLock { $0.append(request) }
            guard let key = request.curveKey, allowed.contains(key) else { return .deny(reason: "not on the list") }
            return .allow(userID: key.z85)
        }
        let loop = try await SocketLoop.start(
            context: context,
            sockets: [SocketSpec(
                .router,
                options: [.linger(milliseconds: 0), .curveServer(true), .curveSecretKey(keys.secretKey), .zapDomain("test")],
                bind: ["tcp://127.0.0.1:0"], admit: admit)],
            name: "zap-test-server")
        return (context, keys, zap, loop)
    }

    /// A CURVE client loop with `identity`, monitoring its handshakes.
    private func client(_ context: Context, server: CurveKey, identity: CurveKeyPair, endpoint: String, id: String)
        async throws -> SocketLoop
    {
        try await SocketLoop.start(
            context: context,
            sockets: [SocketSpec(
                .dealer,
                options: [.linger(milliseconds: 0), .routingID(Array(id.utf8)), .curveServerKey(server),
                          .curvePublicKey(identity.publicKey), .curveSecretKey(identity.secretKey)],
                connect: [endpoint], monitorEvents: ZMQ_EVENT_HANDSHAKE_SUCCEEDED | SocketEvent.handshakeFailures)],
            name: "zap-test-client-\(id)")
    }

    @Test func allowedKeyGetsInWithItsUserIDAndOthersAreRefusedAtTheHandshake() async throws {
        try #require(ZeroMQ.has("curve"))
        let good = try CurveKeyPair.generate()
        let bad = try CurveKeyPair.generate()
        let requests = Requests()
        let (context, keys, zap, server) = try await server(allowing: [good.publicKey], requests: requests)
        let endpoint = server.endpoints[0][0]

        let goodClient = try await client(context, server: keys.publicKey, identity: good, endpoint: endpoint, id: "good")
        let badClient = try await client(context, server: keys.publicKey, identity: bad, endpoint: endpoint, id: "bad")
        let badEvent = try await badClient.firstInbound(within: .seconds(20)) { item -> SocketEvent? in
            if case .event(_, let event) = item, event.isHandshakeFailure || event == .handshakeSucceeded(endpoint: endpoint) {
                return event
            }
            return nil
        }
        #expect(badEvent == .handshakeFailedAuth(endpoint: endpoint, status: 400), "the unknown key was not refused by ZAP")
        badClient.send([Frame("from bad")], on: 0)
        goodClient.send([Frame("from good")], on: 0)

        let (routing, payload, userID) = try await server.firstInbound(within: .seconds(20)) { item -> (String, String, String)? in
            guard case .message(_, let frames) = item, frames.count == 2 else { return nil }
            return (frames[0].utf8String ?? "", frames[1].utf8String ?? "", frames[1].connectionProperty("User-Id") ?? "")
        }
        #expect(routing == "good")
        #expect(payload == "from good")
        #expect(userID == good.publicKey.z85, "the ZAP user id does not travel with the peer's messages")
        #expect(Frame("local").connectionProperty("User-Id") == nil)

        let seen = requests.seen.withLock { $0 }
        #expect(seen.allSatisfy { $0.domain == "test" && $0.mechanism == "CURVE" && $0.address == "127.0.0.1" })
        #expect(Set(seen.compactMap(\.curveKey)) == [good.publicKey, bad.publicKey])

        await goodClient.stop()
        await badClient.stop()
        await server.stop()
        await zap.stop()
    }

    @Test func aPeerTheGateStopsAdmittingLosesItsConnection() async throws {
        try #require(ZeroMQ.has("curve"))
        let peer = try CurveKeyPair.generate()
        let admitted = Atomic<Bool>(true)
        let requests = Requests()
        let (context, keys, zap, server) = try await server(
            allowing: [peer.publicKey], requests: requests, admit: { _ in admitted.load(ordering: .relaxed) })
        let endpoint = server.endpoints[0][0]
        let client = try await SocketLoop.start(
            context: context,
            sockets: [SocketSpec(
                .dealer,
                options: [.linger(milliseconds: 0), .routingID(Array("peer".utf8)), .curveServerKey(keys.publicKey),
                          .curvePublicKey(peer.publicKey), .curveSecretKey(peer.secretKey),
                          .reconnectInterval(milliseconds: 50)],
                connect: [endpoint], monitorEvents: ZMQ_EVENT_DISCONNECTED)],
            name: "zap-gate-client")

        client.send([Frame("first")], on: 0)
        let first = try await server.firstInbound(within: .seconds(20)) { item -> String? in
            if case .message(_, let frames) = item { return frames.last?.utf8String }
            return nil
        }
        #expect(first == "first")

        admitted.store(false, ordering: .relaxed)
        client.send([Frame("second")], on: 0)
        let refusal = try await server.firstInbound(within: .seconds(20)) { item -> (String, String)? in
            switch item {
            case .refused(_, let peer, let address): return (peer, address)
            case .message(_, let frames): Issue.record("delivered after the gate closed: \(frames.map(\.utf8String))")
            default: break
            }
            return nil
        }
        #expect(refusal.0 == peer.publicKey.z85)
        #expect(refusal.1 == "127.0.0.1")
        // The connection was shut down under the client.
        let disconnected = try await client.firstInbound(within: .seconds(20)) { item -> Bool? in
            if case .event(_, .disconnected) = item { return true }
            return nil
        }
        #expect(disconnected)

        await client.stop()
        await server.stop()
        await zap.stop()
    }

    @Test func malformedRequestsGetStatus500() {
        let reply = ZAPHandler.reply(to: [Frame("0.9"), Frame("7")]) { _ in .allow(userID: "x") }
        #expect(reply.map(\.utf8String) == ["1.0", "7", "500", "malformed ZAP request", "", ""])
        let allowed = ZAPHandler.reply(
            to: [Frame("1.0"), Frame("8"), Frame("d"), Frame("10.0.0.1"), Frame(""), Frame("NULL")]
        ) { request in
            request.mechanism == "NULL" && request.address == "10.0.0.1" ? .deny(reason: "no") : .allow(userID: "?")
        }
        #expect(allowed.map(\.utf8String) == ["1.0", "8", "400", "no", "", ""])
    }
}
