import Foundation
import ShoalTestSupport
import Testing
@testable import ZeroMQ

/// "Would block" is a result, not an error: sends report it as `false`, and only real failures throw.
@Suite struct HighWaterMarkTests {
    /// Far more sends than any high-water mark here allows; reaching it means `dontWait` never said no.
    static let attemptLimit = 100_000

    @Test func pushWithoutPeerWouldBlock() throws {
        let context = try Context()
        let push = try Socket.make(context, .push)
        try push.set(.sendHighWaterMark(2))
        #expect(try push.send([Frame("nobody listens")], dontWait: true) == false)
        #expect(try push.send(Frame("single"), dontWait: true) == false)
        #expect(try push.events.contains(.writable) == false)
    }

    @Test(arguments: [Transport.inproc, .tcp])
    func pushToSlowPeerStopsAtHighWaterMarkAndLosesNothing(over transport: Transport) throws {
        let directory = try TemporaryDirectory()
        let context = try Context()
        let pull = try Socket.make(context, .pull)
        try pull.set(.receiveHighWaterMark(4))
        let endpoint = try pull.bindResolved(transport.bindEndpoint(in: directory))
        let push = try Socket.make(context, .push)
        try push.set(.sendHighWaterMark(4))
        #expect(try push.sendHighWaterMark == 4)
        try push.connect(endpoint)

        // 64 KiB frames fill the TCP buffers between the peers quickly; inproc has none.
        let payload = Frame(unsafeUninitializedCapacity: 64 << 10) { $0.initializeMemory(as: UInt8.self, repeating: 7) }
        var accepted = 0
        while accepted < Self.attemptLimit, try push.send([Frame("\(accepted)"), payload], dontWait: true) {
            accepted += 1
        }
        #expect(accepted < Self.attemptLimit, "send(dontWait:) never reported the high-water mark")
        #expect(accepted >= 1)
        if transport == .inproc {
            // An inproc pipe holds the sender's plus the receiver's high-water mark, and nothing else.
            #expect(accepted <= 8)
        }

        // Everything accepted is delivered, in order, and nothing more.
        for index in 0..<accepted {
            let message = try #require(try pull.receive(), "message \(index) of \(accepted) was lost")
            #expect(message.first?.utf8String == "\(index)")
            #expect(message.last?.count == payload.count)
        }
        #expect(try pull.receive(dontWait: true) == nil)

        // With the queue drained, the socket becomes writable again.
        let poller = Poller()
        poller.register(push, for: .writable)
        #expect(try poller.poll(timeout: 5_000) == 1, "PUSH never became writable after the peer drained it")
        #expect(try push.send([Frame("again")], dontWait: true))
        #expect(try pull.receive()?.first?.utf8String == "again")
    }

    @Test func mandatoryRouterToUnknownPeerThrowsHostUnreachable() throws {
        let context = try Context()
        let router = try Socket.make(context, .router)
        try router.set(.routerMandatory(true))
        try router.bind(uniqueInprocEndpoint())
        #expect {
            try router.send([Frame("nobody"), Frame("payload")])
        } throws: { error in
            (error as? ZMQError)?.isHostUnreachable == true
        }
        // dontWait does not turn "no such peer" into "would block".
        #expect {
            try router.send([Frame("nobody"), Frame("payload")], dontWait: true)
        } throws: { error in
            (error as? ZMQError)?.isHostUnreachable == true
        }
    }

    @Test func nonMandatoryRouterDropsMessagesToUnknownPeersSilently() throws {
        let context = try Context()
        let router = try Socket.make(context, .router)
        try router.bind(uniqueInprocEndpoint())
        #expect(try router.send([Frame("nobody"), Frame("payload")], dontWait: true))
    }

    @Test func mandatoryRouterReachesAKnownPeer() throws {
        let context = try Context()
        let endpoint = uniqueInprocEndpoint()
        let router = try Socket.make(context, .router)
        try router.set(.routerMandatory(true))
        try router.bind(endpoint)
        let dealer = try Socket.make(context, .dealer)
        try dealer.set(.routingID(Array("known".utf8)))
        try dealer.connect(endpoint)
        try dealer.send([Frame("hi")])
        #expect(try router.receive()?.first?.utf8String == "known")
        try router.send([Frame("known"), Frame("back")])
        #expect(try dealer.receive()?.map(\.utf8String) == ["back"])
    }

    @Test func receiveTimeoutReturnsNilInsteadOfThrowing() throws {
        let context = try Context()
        let pull = try Socket.make(context, .pull, receiveTimeout: 50)
        try pull.bind(uniqueInprocEndpoint())
        #expect(try pull.receive() == nil)
        #expect(try pull.receive(dontWait: true) == nil)
    }
}
