import Foundation
import ShoalTestSupport
import Synchronization
import Testing
@testable import ZeroMQ

/// The thread bridge: sockets owned by a loop thread, frames in through a queue, out through an `AsyncStream`.
@Suite struct SocketLoopTests {
    /// Starts a ROUTER loop on loopback and a DEALER loop connected to it.
    private func routerAndDealer(
        _ context: Context, dealerID: String = "dealer"
    ) async throws -> (router: SocketLoop, dealer: SocketLoop) {
        let router = try await SocketLoop.start(
            context: context, sockets: [SocketSpec(.router, options: [.linger(milliseconds: 0)], bind: ["tcp://127.0.0.1:0"])],
            name: "test-router")
        let dealer = try await SocketLoop.start(
            context: context,
            sockets: [
                SocketSpec(
                    .dealer, options: [.linger(milliseconds: 0), .routingID(Array(dealerID.utf8))],
                    connect: [router.endpoints[0][0]])
            ],
            name: "test-dealer")
        return (router, dealer)
    }

    @Test func concurrentSendersLoseNothingAndKeepEachSendersOrder() async throws {
        let context = try Context()
        let (router, dealer) = try await routerAndDealer(context)
        let senders = 8
        let perSender = 2_000

        await withTaskGroup(of: Void.self) { group in
            for sender in 0..<senders {
                group.addTask {
                    for sequence in 0..<perSender {
                        var header = [UInt8](repeating: 0, count: 8)
                        withUnsafeBytes(of: UInt32(sender).littleEndian) { header.replaceSubrange(0..<4, with: $0) }
                        withUnsafeBytes(of: UInt32(sequence).littleEndian) { header.replaceSubrange(4..<8, with: $0) }
                        dealer.send([Frame(header)], on: 0)
                    }
                }
            }
        }

        let nextExpected = try await withDeadline(.seconds(30)) { [inbound = router.inbound] in
            var next = [Int](repeating: 0, count: senders)
            var received = 0
            for await item in inbound {
                guard case .message(_, let frames) = item else { continue }
                #expect(frames.count == 2)
                #expect(frames[0].utf8String == "dealer")
                let bytes = frames[1].bytes
                let sender = Int(bytes[0..<4].reversed().reduce(0) { $0 << 8 | UInt32($1) })
                let sequence = Int(bytes[4..<8].reversed().reduce(0) { $0 << 8 | UInt32($1) })
                #expect(sequence == next[sender], "sender \(sender) out of order")
                next[sender] = sequence + 1
                received += 1
                if received == senders * perSender { break }
            }
            return next
        }
        #expect(nextExpected == Array(repeating: perSender, count: senders))
        await dealer.stop()
        await router.stop()
    }

    @Test func repliesReachThePeerTheyAreAddressedTo() async throws {
        let context = try Context()
        let (router, dealer) = try await routerAndDealer(context, dealerID: "w1")
        dealer.send([Frame("ping")], on: 0)
        let request = try await router.firstInbound { item -> [Frame]? in
            if case .message(_, let frames) = item { return frames }
            return nil
        }
        #expect(request.map(\.utf8String) == ["w1", "ping"])
        router.send([request[0], Frame("pong")], on: 0)
        let reply = try await dealer.firstInbound { item -> [Frame]? in
            if case .message(_, let frames) = item { return frames }
            return nil
        }
        #expect(reply.map(\.utf8String) == ["pong"])
        await dealer.stop()
        await router.stop()
    }

    @Test func messagesQueuedBeforeAnyPeerArePendingThenDelivered() async throws {
        // A PUSH with no peer "would block": the loop must hold the messages, not drop or spin on them.
        let context = try Context()
        let directory = try TemporaryDirectory()
        let endpoint = "ipc://\(directory.path)/late-peer.sock"
        let pusher = try await SocketLoop.start(
            context: context,
            sockets: [SocketSpec(.push, options: [.linger(milliseconds: 0), .sendHighWaterMark(10)], connect: [endpoint])])
        for index in 0..<100 { pusher.send([Frame("\(index)")], on: 0) }

        let puller = try await SocketLoop.start(context: context, sockets: [SocketSpec(.pull, bind: [endpoint])])
        let received = try await withDeadline(.seconds(60)) { [inbound = puller.inbound] in
            var values: [String] = []
            for await item in inbound {
                if case .message(_, let frames) = item { values.append(frames[0].utf8String ?? "?") }
                if values.count == 100 { break }
            }
            return values
        }
        #expect(received == (0..<100).map { "\($0)" })
        await pusher.stop()
        await puller.stop()
    }

    @Test func bindOnAPortInUseFailsStartWithTheEndpoint() async throws {
        let context = try Context()
        let holder = try Socket.make(context, .router)
        let endpoint = try holder.bindResolved("tcp://127.0.0.1:0")
        await #expect {
            _ = try await SocketLoop.start(context: context, sockets: [SocketSpec(.router, bind: [endpoint])])
        } throws: { error in
            guard let error = error as? ZMQError else { return false }
            return error.code == EADDRINUSE && error.endpoint == endpoint
        }
    }

    @Test func failedSendToAnUnknownPeerIsReportedWithItsFrames() async throws {
        let context = try Context()
        let router = try await SocketLoop.start(
            context: context,
            sockets: [SocketSpec(.router, options: [.routerMandatory(true)], bind: ["tcp://127.0.0.1:0"])])
        router.send([Frame("nobody"), Frame("hello")], on: 0)
        let (error, frames) = try await router.firstInbound { item -> (ZMQError, [Frame])? in
            if case .sendFailed(_, let error, let frames) = item { return (error, frames) }
            return nil
        }
        #expect(error.isHostUnreachable)
        #expect(frames.map(\.utf8String) == ["nobody", "hello"])
        await router.stop()
    }

    /// With `dropWhenFull`, a peer that stops reading loses what does not fit, and the others are not held up.
    @Test func aPeerThatStopsReadingDoesNotHoldUpTheOthers() async throws {
        let context = try Context()
        var spec = SocketSpec(.router, options: [.routerMandatory(true), .sendHighWaterMark(4), .linger(milliseconds: 0)],
                              bind: ["tcp://127.0.0.1:0"])
        spec.dropWhenFull = true
        let router = try await SocketLoop.start(context: context, sockets: [spec], name: "test-router")
        // A bare socket never read from: its queues fill up.
        let stuck = try Socket(context, type: .dealer)
        try stuck.set([.routingID(Array("stuck".utf8)), .receiveHighWaterMark(4), .linger(milliseconds: 0)])
        try stuck.connect(router.endpoints[0][0])
        let healthy = try await SocketLoop.start(
            context: context,
            sockets: [SocketSpec(.dealer, options: [.routingID(Array("healthy".utf8)), .linger(milliseconds: 0)],
                                 connect: [router.endpoints[0][0]])],
            name: "test-healthy")
        _ = try stuck.send([Frame("hi")])
        healthy.send([Frame("hi")], on: 0)
        let heard = Mutex<Set<String>>([])
        _ = try await router.firstInbound { item -> Bool? in
            guard case .message(_, let frames) = item, let peer = frames.first?.utf8String else { return nil }
            return heard.withLock { $0.insert(peer); return $0.count == 2 ? true : nil }
        }
        let big = Frame([UInt8](repeating: 7, count: 64 << 10))
        for _ in 0..<2_000 { router.send([Frame("stuck"), big], on: 0) }
        let refused = try await router.firstInbound { item -> ZMQError? in
            if case .sendFailed(_, let error, let frames) = item, frames.first?.utf8String == "stuck" { return error }
            return nil
        }
        #expect(refused.code == EAGAIN)
        router.send([Frame("healthy"), Frame("after")], on: 0)
        let reply = try await healthy.firstInbound { item -> String? in
            if case .message(_, let frames) = item { return frames.last?.utf8String }
            return nil
        }
        #expect(reply == "after")
        stuck.close()
        await healthy.stop()
        await router.stop()
    }

    @Test func monitorEventsArriveOnTheStream() async throws {
        let context = try Context()
        let router = try await SocketLoop.start(
            context: context, sockets: [SocketSpec(.router, bind: ["tcp://127.0.0.1:0"])])
        let dealer = try await SocketLoop.start(
            context: context,
            sockets: [SocketSpec(.dealer, connect: [router.endpoints[0][0]], monitorEvents: SocketEvent.all)])
        let event = try await dealer.firstInbound { item -> SocketEvent? in
            if case .event(_, let event) = item, case .handshakeSucceeded = event { return event }
            return nil
        }
        #expect(event == .handshakeSucceeded(endpoint: router.endpoints[0][0]))
        await dealer.stop()
        await router.stop()
    }

    @Test func connectAndOptionsRunOnTheLoopThread() async throws {
        let context = try Context()
        let (router, dealer) = try await routerAndDealer(context, dealerID: "first")
        let second = try await SocketLoop.start(
            context: context, sockets: [SocketSpec(.dealer, options: [.routingID(Array("second".utf8))])])
        try await second.connect(router.endpoints[0][0], on: 0)
        let identity = try await second.withSockets { try $0[0].routingID }
        #expect(identity == Array("second".utf8))
        // The OS thread's own name (Foundation's `Thread.current.name` can answer for another thread object).
        let threadName = try await second.withSockets { _ in currentThreadName() }
        #expect(threadName == second.name)

        second.send([Frame("hi")], on: 0)
        let sender = try await router.firstInbound { item -> String? in
            if case .message(_, let frames) = item { return frames[0].utf8String }
            return nil
        }
        #expect(sender == "second")
        await second.stop()
        await dealer.stop()
        await router.stop()
    }

    @Test func stopFinishesTheStreamAndLaterCallsAreHarmless() async throws {
        let context = try Context()
        let loop = try await SocketLoop.start(context: context, sockets: [SocketSpec(.pull, bind: ["tcp://127.0.0.1:0"])])
        let finished = Task { [inbound = loop.inbound] in
            var count = 0
            for await _ in inbound { count += 1 }
            return count
        }
        await loop.stop()
        let count = try await withDeadline(.seconds(60)) { await finished.value }
        #expect(count == 0)
        await loop.stop()  // a second stop returns at once
        loop.send([Frame("dropped")], on: 0)
        await #expect(throws: ZMQError.self) { try await loop.withSockets { _ in 1 } }
    }

    @Test func contextShutdownEndsALoopThatWasNeverStopped() async throws {
        let context = try Context()
        let loop = try await SocketLoop.start(context: context, sockets: [SocketSpec(.pull, bind: ["tcp://127.0.0.1:0"])])
        context.shutdown()
        let ended = try await withDeadline(.seconds(60)) { [inbound = loop.inbound] in
            for await _ in inbound {}
            return true
        }
        #expect(ended)
    }
}

/// The calling OS thread's name as the kernel knows it.
private func currentThreadName() -> String? {
    #if os(Linux)
    (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8))?
        .trimmingCharacters(in: .whitespacesAndNewlines)
    #else
    Thread.current.name
    #endif
}
