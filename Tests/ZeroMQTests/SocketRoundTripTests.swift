import Foundation
import ShoalTestSupport
import Testing
@testable import ZeroMQ

/// Request/reply over every transport Shoal uses, checking the bytes arrive exactly as sent.
@Suite struct SocketRoundTripTests {
    /// Every byte value, NULs included, so no layer may treat the payload as a C string.
    static let everyByte: [UInt8] = Array(0...255) + [0, 0, 255, 0]

    @Test(arguments: Transport.allCases)
    func requestReplyRoundTrip(over transport: Transport) throws {
        let directory = try TemporaryDirectory()
        let context = try Context()
        let server = try Socket.make(context, .rep)
        let endpoint = try server.bindResolved(transport.bindEndpoint(in: directory))
        let client = try Socket.make(context, .req)
        try client.connect(endpoint)

        try client.send([Frame(Self.everyByte)])
        let request = try #require(try server.receive(), "no request within the receive timeout")
        #expect(request.map(\.bytes) == [Self.everyByte])

        let answer = Array(Self.everyByte.reversed())
        try server.send([Frame(answer)])
        let reply = try #require(try client.receive(), "no reply within the receive timeout")
        #expect(reply.map(\.bytes) == [answer])
    }

    @Test(arguments: Transport.allCases)
    func dealerRouterRoundTripKeepsRoutingID(over transport: Transport) throws {
        let directory = try TemporaryDirectory()
        let context = try Context()
        let router = try Socket.make(context, .router)
        let endpoint = try router.bindResolved(transport.bindEndpoint(in: directory))
        let dealer = try Socket.make(context, .dealer)
        let identity = Array("worker-7".utf8)
        try dealer.set(.routingID(identity))
        try dealer.connect(endpoint)

        try dealer.send([Frame("task"), Frame(Self.everyByte)])
        let received = try #require(try router.receive(), "no message at the ROUTER within the receive timeout")
        #expect(received.map(\.bytes) == [identity, Array("task".utf8), Self.everyByte])

        try router.send([Frame(identity), Frame("done")])
        let reply = try #require(try dealer.receive(), "no reply at the DEALER within the receive timeout")
        #expect(reply.map(\.utf8String) == ["done"])
    }

    @Test func tcpPortZeroResolvesToARealPort() throws {
        let context = try Context()
        let socket = try Socket.make(context, .pull)
        let endpoint = try socket.bindResolved("tcp://127.0.0.1:0")
        #expect(endpoint.hasPrefix("tcp://127.0.0.1:"))
        let port = try #require(Int(endpoint.split(separator: ":").last ?? ""), "no port in \(endpoint)")
        #expect((1...65_535).contains(port))
    }

    @Test func ipcEndpointIsAFileInTheDirectory() throws {
        #expect(ZeroMQ.has("ipc"))
        let directory = try TemporaryDirectory()
        let context = try Context()
        let socket = try Socket.make(context, .pull)
        let path = "\(directory.path)/bound.sock"
        let endpoint = try socket.bindResolved("ipc://\(path)")
        #expect(endpoint == "ipc://\(path)")
        #expect(FileManager.default.fileExists(atPath: path))
    }

    @Test func socketKeepsItsTypeAndContext() throws {
        let context = try Context()
        let socket = try Socket(context, type: .dealer)
        #expect(socket.type == .dealer)
        #expect(socket.context === context)
    }

    @Test func libraryVersionIsFourDotThree() {
        let version = ZeroMQ.version
        #expect(version.major == 4)
        #expect(version.minor >= 3)
        #expect(ZeroMQ.versionString == "\(version.major).\(version.minor).\(version.patch)")
        #expect(!ZeroMQ.has("no-such-capability"))
    }
}
