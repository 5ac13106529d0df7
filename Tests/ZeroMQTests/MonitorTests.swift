import CZeroMQ
import Foundation
import Testing
@testable import ZeroMQ

/// `SocketMonitor` reports the connection life cycle on both ends of a connection.
@Suite struct MonitorTests {
    @Test func connectingSideSeesConnectedHandshakeAndDisconnected() throws {
        let context = try Context()
        var router: Socket? = try Socket.make(context, .router)
        let endpoint = try router!.bindResolved("tcp://127.0.0.1:0")

        let dealer = try Socket.make(context, .dealer)
        let monitor = try SocketMonitor(watching: dealer)
        try dealer.connect(endpoint)

        let connected = try monitor.waitForEvent { if case .connected = $0 { true } else { false } }
        #expect(connected.match == .connected(endpoint: endpoint), "events seen: \(connected.seen)")
        let handshake = try monitor.waitForEvent { if case .handshakeSucceeded = $0 { true } else { false } }
        #expect(handshake.match == .handshakeSucceeded(endpoint: endpoint), "events seen: \(handshake.seen)")
        #expect(!(connected.seen + handshake.seen).contains { $0.isHandshakeFailure })

        router = nil  // closes the ROUTER, which drops the TCP connection
        let disconnected = try monitor.waitForEvent { if case .disconnected = $0 { true } else { false } }
        #expect(disconnected.match == .disconnected(endpoint: endpoint), "events seen: \(disconnected.seen)")
    }

    @Test func bindingSideSeesListeningAndAccepted() throws {
        let context = try Context()
        let router = try Socket.make(context, .router)
        let monitor = try SocketMonitor(watching: router, events: ZMQ_EVENT_LISTENING | ZMQ_EVENT_ACCEPTED)
        let endpoint = try router.bindResolved("tcp://127.0.0.1:0")

        let listening = try monitor.waitForEvent { if case .listening = $0 { true } else { false } }
        #expect(listening.match == .listening(endpoint: endpoint), "events seen: \(listening.seen)")

        let dealer = try Socket.make(context, .dealer)
        try dealer.connect(endpoint)
        let accepted = try monitor.waitForEvent { if case .accepted = $0 { true } else { false } }
        let match = try #require(accepted.match, "no accepted event; events seen: \(accepted.seen)")
        guard case .accepted(let acceptedOn) = match else { Issue.record("not accepted: \(match)"); return }
        #expect(acceptedOn == endpoint)
        // Only the selected events are reported.
        #expect(accepted.seen.allSatisfy { if case .accepted = $0 { true } else { false } })
    }

    @Test func connectToAClosedPortIsRetried() throws {
        let context = try Context()
        // A port that was free a moment ago: bind, read it, and close, so nothing listens there.
        let endpoint: String
        do {
            let probe = try Socket.make(context, .pull)
            endpoint = try probe.bindResolved("tcp://127.0.0.1:0")
            try probe.unbind(endpoint)
        }
        let dealer = try Socket.make(context, .dealer)
        try dealer.set(.reconnectInterval(milliseconds: 50))
        let monitor = try SocketMonitor(watching: dealer)
        try dealer.connect(endpoint)
        let retried = try monitor.waitForEvent { if case .connectRetried = $0 { true } else { false } }
        let match = try #require(retried.match, "no connect-retried event; events seen: \(retried.seen)")
        guard case .connectRetried(let retriedEndpoint, let milliseconds) = match else { return }
        #expect(retriedEndpoint == endpoint)
        #expect(milliseconds >= 0)
    }

    @Test func receiveWithoutEventsTimesOut() throws {
        let context = try Context()
        let dealer = try Socket.make(context, .dealer)
        let monitor = try SocketMonitor(watching: dealer)
        #expect(try monitor.receive(dontWait: true) == nil)
        #expect(try monitor.receive(timeout: 20) == nil)
    }

    @Test func decodesTheWireFormat() {
        // zmq_socket_monitor(3), version 1: u16 event and u32 value in native order, then the endpoint.
        var header: [UInt8] = []
        withUnsafeBytes(of: UInt16(ZMQ_EVENT_CONNECT_RETRIED)) { header += $0 }
        withUnsafeBytes(of: UInt32(250)) { header += $0 }
        let event = SocketMonitor.decode([Frame(header), Frame("tcp://127.0.0.1:5555")])
        #expect(event == .connectRetried(endpoint: "tcp://127.0.0.1:5555", milliseconds: 250))

        #expect(SocketMonitor.decode([Frame(header)]) == nil, "one frame")
        #expect(SocketMonitor.decode([Frame(Array(header.prefix(5))), Frame("x")]) == nil, "short header")
        #expect(SocketMonitor.decode([Frame(header), Frame("x"), Frame("y")]) == nil, "three frames")
    }

    @Test func namesEveryEventAndClassifiesHandshakeFailures() {
        let endpoint = "tcp://127.0.0.1:1"
        let cases: [(Int32, SocketEvent)] = [
            (ZMQ_EVENT_CONNECTED, .connected(endpoint: endpoint)),
            (ZMQ_EVENT_CONNECT_DELAYED, .connectDelayed(endpoint: endpoint)),
            (ZMQ_EVENT_CONNECT_RETRIED, .connectRetried(endpoint: endpoint, milliseconds: 3)),
            (ZMQ_EVENT_LISTENING, .listening(endpoint: endpoint)),
            (ZMQ_EVENT_BIND_FAILED, .bindFailed(endpoint: endpoint, errno: 3)),
            (ZMQ_EVENT_ACCEPTED, .accepted(endpoint: endpoint)),
            (ZMQ_EVENT_ACCEPT_FAILED, .acceptFailed(endpoint: endpoint, errno: 3)),
            (ZMQ_EVENT_CLOSED, .closed(endpoint: endpoint)),
            (ZMQ_EVENT_DISCONNECTED, .disconnected(endpoint: endpoint)),
            (ZMQ_EVENT_HANDSHAKE_SUCCEEDED, .handshakeSucceeded(endpoint: endpoint)),
            (ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL, .handshakeFailedNoDetail(endpoint: endpoint, errno: 3)),
            (ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL, .handshakeFailedProtocol(endpoint: endpoint, code: 3)),
            (ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, .handshakeFailedAuth(endpoint: endpoint, status: 3)),
            (ZMQ_EVENT_MONITOR_STOPPED, .monitorStopped),
        ]
        for (number, expected) in cases {
            let event = SocketEvent(event: UInt16(number), value: 3, endpoint: endpoint)
            #expect(event == expected)
            #expect(!event.description.isEmpty)
        }
        #expect(SocketEvent(event: 0x8000, value: 1, endpoint: "e") == .other(event: 0x8000, value: 1, endpoint: "e"))
        let failures = cases.map(\.1).filter(\.isHandshakeFailure)
        #expect(failures.count == 3)
        #expect(failures.allSatisfy { $0.description.contains("handshake") })
    }
}
