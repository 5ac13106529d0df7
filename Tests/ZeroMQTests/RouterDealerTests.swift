import Foundation
import Testing
@testable import ZeroMQ

/// One ROUTER serving many DEALER peers: every reply must reach the peer it was addressed to.
@Suite struct RouterDealerTests {
    static let peerCount = 50

    @Test(arguments: [true, false])
    func routerRepliesToFiftyDealersByRoutingID(explicitIDs: Bool) throws {
        let context = try Context()
        let router = try Socket.make(context, .router)
        try router.set(.routerMandatory(true))
        let endpoint = try router.bindResolved("tcp://127.0.0.1:0")

        var dealers: [Socket] = []
        for index in 0..<Self.peerCount {
            let dealer = try Socket.make(context, .dealer)
            if explicitIDs { try dealer.set(.routingID(Array("peer-\(index)".utf8))) }
            try dealer.connect(endpoint)
            dealers.append(dealer)
        }
        for (index, dealer) in dealers.enumerated() {
            try dealer.send([Frame("hello"), Frame("\(index)")])
        }

        // Collect every request first, so replies go out in an order unrelated to the order they came in.
        var routingIDs: [Int: [UInt8]] = [:]
        for _ in 0..<Self.peerCount {
            let message = try #require(try router.receive(), "fewer than \(Self.peerCount) requests arrived")
            try #require(message.count == 3, "unexpected request \(message)")
            #expect(message[1].utf8String == "hello")
            let index = try #require(message[2].utf8String.flatMap { Int($0) })
            #expect(routingIDs[index] == nil, "peer \(index) was delivered twice")
            routingIDs[index] = message[0].bytes
            if explicitIDs { #expect(message[0].utf8String == "peer-\(index)") }
        }
        #expect(routingIDs.count == Self.peerCount)
        #expect(Set(routingIDs.values).count == Self.peerCount, "two peers share a routing id")

        for index in routingIDs.keys.sorted(by: >) {
            try router.send([Frame(routingIDs[index]!), Frame("reply"), Frame("\(index)")])
        }
        for (index, dealer) in dealers.enumerated() {
            let reply = try #require(try dealer.receive(), "peer \(index) got no reply")
            #expect(reply.map(\.utf8String) == ["reply", "\(index)"], "peer \(index) got another peer's reply")
            #expect(try dealer.receive(dontWait: true) == nil, "peer \(index) got more than one reply")
        }
    }

    @Test func dealerReadsBackItsRoutingID() throws {
        let context = try Context()
        let dealer = try Socket.make(context, .dealer)
        #expect(try dealer.routingID.isEmpty)
        try dealer.set(.routingID([1, 2, 3, 0, 255]))
        #expect(try dealer.routingID == [1, 2, 3, 0, 255])
    }
}
