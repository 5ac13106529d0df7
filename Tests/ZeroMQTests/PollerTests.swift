import Foundation
import Testing
@testable import ZeroMQ

/// `Poller` waits no longer than asked, and reports which item is ready for what.
@Suite struct PollerTests {
    @Test func pollTimeoutIsHonoured() throws {
        let context = try Context()
        let quiet = try Socket.make(context, .pull)
        try quiet.bind("tcp://127.0.0.1:0")
        let poller = Poller()
        poller.register(quiet)

        let clock = ContinuousClock()
        let start = clock.now
        let ready = try poller.poll(timeout: 200)
        let elapsed = clock.now - start
        #expect(ready == 0)
        #expect(poller.events(at: 0).isEmpty)
        #expect(elapsed >= .milliseconds(190), "poll returned after \(elapsed), before its 200 ms timeout")
        #expect(elapsed < .seconds(5), "poll overran its 200 ms timeout: \(elapsed)")
    }

    @Test func zeroTimeoutOnlyLooks() throws {
        let context = try Context()
        let quiet = try Socket.make(context, .pull)
        try quiet.bind(uniqueInprocEndpoint())
        let poller = Poller()
        poller.register(quiet)
        let clock = ContinuousClock()
        let start = clock.now
        #expect(try poller.poll(timeout: 0) == 0)
        #expect(clock.now - start < .seconds(1))
    }

    @Test func pollReportsOnlyTheReadySocket() throws {
        let context = try Context()
        let quietEndpoint = uniqueInprocEndpoint(), busyEndpoint = uniqueInprocEndpoint()
        let quiet = try Socket.make(context, .pull)
        try quiet.bind(quietEndpoint)
        let busy = try Socket.make(context, .pull)
        try busy.bind(busyEndpoint)
        let sender = try Socket.make(context, .push)
        try sender.connect(busyEndpoint)

        let poller = Poller()
        let quietIndex = poller.register(quiet)
        let busyIndex = poller.register(busy)
        #expect(poller.count == 2)
        #expect((quietIndex, busyIndex) == (0, 1))

        try sender.send([Frame("wake")])
        #expect(try poller.poll(timeout: 5_000) == 1)
        #expect(poller.events(at: quietIndex).isEmpty)
        #expect(poller.events(at: busyIndex) == .readable)
        #expect(try busy.receive(dontWait: true)?.first?.utf8String == "wake")

        // Once read, the socket is no longer ready.
        #expect(try poller.poll(timeout: 0) == 0)
    }

    @Test func writableIsReportedForAConnectedSocketAndCanBeSwitchedOff() throws {
        let context = try Context()
        let endpoint = uniqueInprocEndpoint()
        let pull = try Socket.make(context, .pull)
        try pull.bind(endpoint)
        let push = try Socket.make(context, .push)
        try push.connect(endpoint)

        let poller = Poller()
        let index = poller.register(push, for: [.readable, .writable])
        #expect(try poller.poll(timeout: 5_000) == 1)
        #expect(poller.events(at: index) == .writable)
        #expect(try push.events.contains(.writable))

        poller.setEvents(.readable, at: index)
        #expect(try poller.poll(timeout: 0) == 0)
    }

    @Test func plainFileDescriptorIsPolled() throws {
        var fds: [Int32] = [0, 0]
        try #require(pipe(&fds) == 0)
        defer {
            close(fds[0])
            close(fds[1])
        }
        let poller = Poller()
        let index = poller.register(fileDescriptor: fds[0])
        #expect(try poller.poll(timeout: 0) == 0)
        var byte: UInt8 = 42
        try #require(write(fds[1], &byte, 1) == 1)
        #expect(try poller.poll(timeout: 5_000) == 1)
        #expect(poller.events(at: index).contains(.readable))
    }

    @Test func pollAfterContextShutdownThrowsTerminated() throws {
        let context = try Context()
        let socket = try Socket.make(context, .pull)
        try socket.bind(uniqueInprocEndpoint())
        let poller = Poller()
        poller.register(socket)
        context.shutdown()
        #expect {
            try poller.poll(timeout: 5_000)
        } throws: { error in
            (error as? ZMQError)?.isTerminated == true
        }
    }
}
