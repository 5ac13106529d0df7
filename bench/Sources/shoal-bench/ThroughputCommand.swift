import ArgumentParser
import Foundation
import ZeroMQ

/// `shoal-bench thr`: one-way PUSH→PULL throughput of big messages. Mirrors `zmq_thr.c`: the PUSH sender is a
/// separate process that sends `--count` + 1 messages; the PULL side binds, receives the first, then times the
/// remaining `--count`. (zmq_thr.c's memcpy figure, taken after the timing, is left out.)
struct ThroughputCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "thr", abstract: "PUSH process → PULL, one-way GB/s for big messages.")

    @Option(help: "frames, message, or loop (SocketLoop on the sender and on the receiver).")
    var api: BenchAPI = .message
    @Option(help: "With frames or loop — copy: a Frame(copying:) per message; zero-copy: one Frame sent each time.")
    var send: SendMode = .copy
    @Option(help: "The PULL socket's endpoint.")
    var endpoint = "tcp://127.0.0.1:47322"
    @Option(help: "Message size in MiB.")
    var mib = 1
    @Option(help: "Timed messages (one more is sent first, untimed).")
    var count = 200

    func validate() throws {
        guard (1...1024).contains(mib) else { throw ValidationError("--mib must be 1…1024") }
        guard count >= 1 else { throw ValidationError("--count must be at least 1") }
    }

    func run() throws {
        let sender = try ChildProcess.spawnSelf([
            "thr-sender", "--api", api.rawValue, "--send", send.rawValue, "--endpoint", endpoint, "--mib", "\(mib)",
            "--count", "\(count)",
        ])
        let size = mib << 20
        let seconds = try withChildren([sender]) {
            let seconds: Double
            switch api {
            case .frames: seconds = try ThroughputReceiver.frames(endpoint: endpoint, count: count)
            case .message: seconds = try ThroughputReceiver.message(endpoint: endpoint, count: count)
            case .loop: seconds = try ThroughputReceiver.loop(endpoint: endpoint, count: count)
            }
            try sender.wait()
            return seconds
        }
        let gigabytesPerSecond = Double(size) * Double(count) / seconds / 1e9
        print(
            "shoal_thr api=\(api.rawValue) send=\(send.rawValue) endpoint=\(endpoint) msg=\(mib)MiB count=\(count)"
                + " GB/s=\(format(gigabytesPerSecond, 3))")
    }
}

/// `shoal-bench thr-sender`: the PUSH process of `thr`, started by it.
struct ThroughputSenderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "thr-sender", abstract: "The PUSH side of `thr` (started by it).", shouldDisplay: false)

    @Option var api: BenchAPI
    @Option var send: SendMode = .copy
    @Option var endpoint: String
    @Option var mib: Int
    @Option var count: Int

    func run() throws {
        // The same bytes as zmq_thr.c's malloc + memset(buf, 1, sz), held in a Frame so the loop thread may see it.
        let buffer = Frame(unsafeUninitializedCapacity: mib << 20) { $0.initializeMemory(as: UInt8.self, repeating: 1) }
        let mode = send
        let message = { @Sendable in mode == .zeroCopy ? buffer : buffer.withUnsafeBytes { Frame(copying: $0) } }
        switch api {
        case .frames: try ThroughputSender.frames(endpoint: endpoint, messages: count + 1, message: message)
        case .message: try ThroughputSender.message(endpoint: endpoint, messages: count + 1, buffer: buffer)
        case .loop: try ThroughputSender.loop(endpoint: endpoint, messages: count + 1, message: message)
        }
    }
}

/// The PULL side of `thr`.
enum ThroughputReceiver {
    /// - Returns: seconds from the first message's arrival to the last one's.
    static func frames(endpoint: String, count: Int) throws -> Double {
        let context = try Context()
        let pull = try Socket(context, type: .pull)
        try pull.bind(endpoint)
        _ = try pull.receive()
        let start = MonotonicClock.now()
        for _ in 0..<count { _ = try pull.receive() }
        return MonotonicClock.now() - start
    }

    /// One reused `Message`, as zmq_thr.c receives into one `zmq_msg_t`.
    static func message(endpoint: String, count: Int) throws -> Double {
        let context = try Context()
        let pull = try Socket(context, type: .pull)
        try pull.bind(endpoint)
        let message = Message()
        try pull.receive(into: message)
        let start = MonotonicClock.now()
        for _ in 0..<count { try pull.receive(into: message) }
        return MonotonicClock.now() - start
    }

    static func loop(endpoint: String, count: Int) throws -> Double {
        let context = try Context()
        return try waitForAsync {
            let loop = try await SocketLoop.start(
                context: context, sockets: [SocketSpec(.pull, bind: [endpoint])], name: "bench-pull")
            var received = -1  // the first message starts the clock and is not counted
            var start = 0.0
            for await item in loop.inbound {
                guard case .message = item else { continue }
                if received < 0 { start = MonotonicClock.now() }
                received += 1
                if received == count { break }
            }
            let seconds = MonotonicClock.now() - start
            await loop.stop()
            guard received == count else { throw BenchError("inbound ended after \(received) of \(count) messages") }
            return seconds
        }
    }
}

/// The PUSH side of `thr`: sends every message, then waits until libzmq has written them all out.
enum ThroughputSender {
    static func frames(endpoint: String, messages: Int, message: () -> Frame) throws {
        let context = try Context()
        let push = try Socket(context, type: .push)
        try push.connect(endpoint)
        for _ in 0..<messages { try push.send(message()) }
        // zmq_thr.c: linger -1, close, zmq_ctx_term, which blocks until everything is on the wire.
        try push.set(.linger(milliseconds: -1))
        push.close()
    }

    /// `zmq_send(s, buf, sz, 0)` through the module: copy the buffer into a reused `Message`, send it.
    static func message(endpoint: String, messages: Int, buffer: Frame) throws {
        let context = try Context()
        let push = try Socket(context, type: .push)
        try push.connect(endpoint)
        let message = Message()
        for _ in 0..<messages {
            buffer.withUnsafeBytes { message.set(copying: $0) }
            try push.send(message)
        }
        try push.set(.linger(milliseconds: -1))
        push.close()
    }

    static func loop(endpoint: String, messages: Int, message: @escaping @Sendable () -> Frame) throws {
        var context = try Context()
        try waitForAsync { [context] in
            let loop = try await SocketLoop.start(
                context: context, sockets: [SocketSpec(.push, connect: [endpoint], lingerOnStop: -1)],
                name: "bench-push")
            for _ in 0..<messages { loop.send([message()], on: 0) }
            await loop.stop()
        }
        // `stop()` returns as the loop thread finishes, which may still hold the context for a moment. Only once
        // this is the last reference does releasing it run zmq_ctx_term here, which waits for the unsent bytes;
        // exiting before that would drop them.
        let deadline = MonotonicClock.now() + 10
        while !isKnownUniquelyReferenced(&context) {
            guard MonotonicClock.now() < deadline else { throw BenchError("the loop thread kept the context") }
            usleep(1_000)
        }
    }
}
