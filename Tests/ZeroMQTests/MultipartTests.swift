import Foundation
import ShoalTestSupport
import Testing
@testable import ZeroMQ

/// Multipart messages: empty frames, a 64 MiB zero-copy frame, and the release of zero-copy buffers.
@Suite struct MultipartTests {
    static let sixtyFourMiB = 64 << 20

    /// The byte at `offset` of the test pattern: little-endian 64-bit words `index × golden ratio`, so every
    /// region differs from every other and a misplaced or truncated chunk shows.
    static func patternByte(at offset: Int) -> UInt8 {
        let word = UInt64(offset / 8) &* 0x9E37_79B9_7F4A_7C15
        return UInt8(truncatingIfNeeded: word >> (8 * UInt64(offset % 8)))
    }

    /// A frame of `count` bytes (a multiple of 8) holding the pattern, written in place.
    static func patternFrame(count: Int) -> Frame {
        Frame(unsafeUninitializedCapacity: count) { buffer in
            let words = buffer.bindMemory(to: UInt64.self)
            for index in words.indices {
                words[index] = (UInt64(index) &* 0x9E37_79B9_7F4A_7C15).littleEndian
            }
        }
    }

    static func sampleOffsets(count: Int) -> [Int] {
        [0, 1, 7, 8, 1_023, 1_024, 4_095, 4_096, 65_537, 1 << 20, count / 3, count / 2 - 1, count / 2 + 5,
         count - 4_097, count - 8, count - 1]
    }

    @Test(arguments: Transport.allCases)
    func emptyFramesSurviveAnywhereInAMessage(over transport: Transport) throws {
        let directory = try TemporaryDirectory()
        let context = try Context()
        let receiver = try Socket.make(context, .pull)
        let endpoint = try receiver.bindResolved(transport.bindEndpoint(in: directory))
        let sender = try Socket.make(context, .push)
        try sender.connect(endpoint)

        let messages: [[Frame]] = [
            [Frame([])],
            [Frame([]), Frame([])],
            [Frame([]), Frame("middle"), Frame([])],
            [Frame("a"), Frame([]), Frame([]), Frame([]), Frame("z")],
        ]
        for message in messages { try sender.send(message) }
        for message in messages {
            let received = try #require(try receiver.receive(), "message missing within the receive timeout")
            #expect(received == message)
            #expect(received.map(\.count) == message.map(\.count))
        }
        #expect(try receiver.receive(dontWait: true) == nil, "more messages arrived than were sent")
    }

    @Test(arguments: [Transport.inproc, .tcp])
    func sixtyFourMiBFrameArrivesWhole(over transport: Transport) throws {
        let directory = try TemporaryDirectory()
        let context = try Context()
        let receiver = try Socket.make(context, .pull, receiveTimeout: 20_000)
        let endpoint = try receiver.bindResolved(transport.bindEndpoint(in: directory))
        let sender = try Socket.make(context, .push)
        try sender.connect(endpoint)

        let big = Self.patternFrame(count: Self.sixtyFourMiB)
        try sender.send([Frame("header"), big, Frame([])])
        let received = try #require(try receiver.receive(), "64 MiB message missing within the receive timeout")
        try #require(received.count == 3)
        #expect(received[0].utf8String == "header")
        #expect(received[2].isEmpty)

        let frame = received[1]
        try #require(frame.count == Self.sixtyFourMiB)
        frame.withUnsafeBytes { bytes in
            for offset in Self.sampleOffsets(count: bytes.count) {
                #expect(bytes[offset] == Self.patternByte(at: offset), "byte \(offset) differs")
            }
        }
        // Every byte, compared with memcmp: a byte-by-byte Swift loop over 64 MiB is too slow in debug builds.
        let identical = frame.withUnsafeBytes { got in
            big.withUnsafeBytes { sent in memcmp(got.baseAddress!, sent.baseAddress!, sent.count) == 0 }
        }
        #expect(identical)
    }

    @Test func inprocLargeFrameIsHandedOverWithoutACopy() throws {
        let context = try Context()
        let endpoint = uniqueInprocEndpoint()
        let receiver = try Socket.make(context, .pull)
        try receiver.bind(endpoint)
        let sender = try Socket.make(context, .push)
        try sender.connect(endpoint)

        let frame = Self.patternFrame(count: 1 << 20)
        try sender.send([frame])
        let received = try #require(try receiver.receive(), "frame missing within the receive timeout")
        // inproc moves the zmq_msg_t itself, so a zero-copy frame arrives pointing at the sender's buffer.
        #expect(received[0].storage.bytes == frame.storage.bytes)
    }

    @Test func smallFrameIsCopiedOnSend() throws {
        let context = try Context()
        let endpoint = uniqueInprocEndpoint()
        let receiver = try Socket.make(context, .pull)
        try receiver.bind(endpoint)
        let sender = try Socket.make(context, .push)
        try sender.connect(endpoint)

        let frame = Frame(Array(repeating: 0xAB, count: Socket.zeroCopyThreshold))
        try sender.send([frame])
        let received = try #require(try receiver.receive(), "frame missing within the receive timeout")
        #expect(received == [frame])
        #expect(received[0].storage.bytes != frame.storage.bytes)
    }

    @Test func zeroCopyBufferIsReleasedOnceTheReceiverDropsIt() throws {
        weak var released: FrameStorage?
        let context = try Context()
        let endpoint = uniqueInprocEndpoint()
        let receiver = try Socket.make(context, .pull)
        try receiver.bind(endpoint)
        let sender = try Socket.make(context, .push)
        try sender.connect(endpoint)

        var received: [Frame]?
        do {
            let frame = Self.patternFrame(count: 4_096)
            released = frame.storage
            try sender.send([frame])
        }
        // The only owner now is libzmq's message in the inproc pipe, through the retain taken by `send`.
        #expect(released != nil, "the buffer was freed while libzmq still held it")
        received = try #require(try receiver.receive(), "frame missing within the receive timeout")
        #expect(released != nil)
        #expect(received?.first?.count == 4_096)
        #expect(received?.first?.withUnsafeBytes { $0[4_095] } == Self.patternByte(at: 4_095))
        received = nil
        // Closing the received zmq_msg_t runs the release callback, which drops the last reference.
        #expect(released == nil, "the zero-copy buffer leaked: the release callback did not run")
    }

    @Test func zeroCopyFramesOutliveTheirSocketsAndContexts() throws {
        weak var released: FrameStorage?
        // The socket is the context's only owner, so releasing the socket terminates the context too.
        var receiver: Socket? = try Socket.make(Context(), .pull, receiveTimeout: 10_000)
        let endpoint = try receiver!.bindResolved("tcp://127.0.0.1:0")

        let count = 8 << 20
        do {
            let senderContext = try Context()
            let sender = try Socket(senderContext, type: .push)
            try sender.set(.linger(milliseconds: 10_000))
            try sender.connect(endpoint)
            let frame = Self.patternFrame(count: count)
            released = frame.storage
            try sender.send([frame])
            // The frame goes out of scope and the socket is closed at once: libzmq's retain must keep the
            // bytes alive until the I/O thread has written them.
            sender.close()
        }
        // The sender's context has been terminated (its deinit waits for the linger flush), so libzmq is done
        // with the buffer and must have released it.
        #expect(released == nil, "libzmq never released the zero-copy buffer")

        let received = try #require(try receiver!.receive(), "frame missing within the receive timeout")
        receiver = nil
        // A received frame keeps its zmq_msg_t, which depends on neither the socket nor the context.
        let frame = try #require(received.first)
        #expect(frame.count == count)
        frame.withUnsafeBytes { bytes in
            for offset in Self.sampleOffsets(count: count) {
                #expect(bytes[offset] == Self.patternByte(at: offset), "byte \(offset) differs")
            }
        }
    }
}
