import Testing
@testable import ZeroMQ

/// `Message`: the reusable `zmq_msg_t` for hot loops.
@Suite struct MessageTests {
    private func pair(_ context: Context) throws -> (Socket, Socket) {
        let name = InprocName.unique("message-test")
        let receiver = try Socket(context, type: .pair)
        try receiver.bind(name)
        let sender = try Socket(context, type: .pair)
        try sender.connect(name)
        return (sender, receiver)
    }

    @Test func aMultipartMessageGoesThroughOneReusedMessage() throws {
        let context = try Context()
        let (sender, receiver) = try pair(context)
        let outgoing = Message()
        for (index, text) in ["first", "", String(repeating: "x", count: 100_000)].enumerated() {
            Array(text.utf8).withUnsafeBytes { outgoing.set(copying: $0) }
            #expect(try sender.send(outgoing, more: index < 2))
            #expect(outgoing.count == 0, "libzmq took the content")
        }
        let incoming = Message()
        var received: [String] = []
        var more: [Bool] = []
        repeat {
            #expect(try receiver.receive(into: incoming))
            received.append(incoming.withUnsafeBytes { String(decoding: $0, as: UTF8.self) })
            more.append(incoming.hasMore)
        } while incoming.hasMore && received.count < 10
        #expect(received == ["first", "", String(repeating: "x", count: 100_000)])
        #expect(more == [true, true, false])
        sender.close()
        receiver.close()
    }

    @Test func receivingWithoutWaitingOnAnEmptySocketSaysSo() throws {
        let context = try Context()
        let (sender, receiver) = try pair(context)
        #expect(try receiver.receive(into: Message(), dontWait: true) == false)
        sender.close()
        receiver.close()
    }

    @Test func frameMovesTheContentOutWithoutLosingIt() throws {
        let context = try Context()
        let (sender, receiver) = try pair(context)
        try sender.send([Frame("hello")])
        let message = Message()
        try receiver.receive(into: message)
        let frame = message.frame()
        #expect(frame.utf8String == "hello")
        #expect(message.count == 0)
        sender.close()
        receiver.close()
    }

    @Test func aFailedSendKeepsTheContent() throws {
        let context = try Context()
        let router = try Socket(context, type: .router)
        try router.set(.routerMandatory(true))
        try router.bind("tcp://127.0.0.1:0")
        let address = Message(copying: UnsafeRawBufferPointer(start: nil, count: 0))
        Array("nobody".utf8).withUnsafeBytes { address.set(copying: $0) }
        #expect(throws: ZMQError.self) { try router.send(address, more: true) }
        #expect(address.withUnsafeBytes { Array($0) } == Array("nobody".utf8))
        router.close()
    }
}
