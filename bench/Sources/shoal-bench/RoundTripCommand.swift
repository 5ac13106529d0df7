import ArgumentParser
import ZeroMQ

/// `shoal-bench rt`: 16-byte request/reply round trips through one ROUTER (echo) and `--peers` DEALER processes,
/// `--window` requests in flight per peer, over tcp loopback. Mirrors `zmq_rt.c`: peers are started first, the
/// ROUTER binds, the clock starts at the first request and stops at the last echo.
struct RoundTripCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rt", abstract: "ROUTER echo ↔ DEALER processes, 16-byte round trips per second.")

    @Option(help: "frames, message, or loop (SocketLoop on the ROUTER and on every DEALER).")
    var api: BenchAPI = .message
    @Option(help: "The ROUTER's endpoint (zmq_rt.c uses tcp://127.0.0.1:47311).")
    var endpoint = "tcp://127.0.0.1:47321"
    @Option(help: "DEALER processes.")
    var peers = 2
    @Option(help: "Requests in flight per DEALER.")
    var window = 100
    @Option(help: "Round trips per DEALER.")
    var per = 100_000

    func validate() throws {
        guard (1...64).contains(peers) else { throw ValidationError("--peers must be 1…64 (zmq_rt.c's limit)") }
        guard window >= 1, per >= 1 else { throw ValidationError("--window and --per must be at least 1") }
    }

    func run() throws {
        let children = try (0..<peers).map { _ in
            try ChildProcess.spawnSelf([
                "rt-peer", "--api", api.rawValue, "--endpoint", endpoint, "--window", "\(window)", "--per", "\(per)",
            ])
        }
        let total = peers * per
        let seconds = try withChildren(children) {
            switch api {
            case .frames:
                return try RoundTripEcho.frames(endpoint: endpoint, total: total, waitingFor: children)
            case .message:
                return try RoundTripEcho.message(endpoint: endpoint, total: total, waitingFor: children)
            case .loop:
                return try RoundTripEcho.loop(endpoint: endpoint, total: total, waitingFor: children)
            }
        }
        print(
            "shoal_rt api=\(api.rawValue) peers=\(peers) window=\(window) roundtrips=\(total)"
                + " seconds=\(format(seconds, 3)) rate=\(format(Double(total) / seconds, 0))/s")
    }
}

/// `shoal-bench rt-peer`: one DEALER of `rt`, started by it.
struct RoundTripPeerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rt-peer", abstract: "One DEALER of `rt` (started by it).", shouldDisplay: false)

    @Option var api: BenchAPI
    @Option var endpoint: String
    @Option var window: Int
    @Option var per: Int

    func run() throws {
        switch api {
        case .frames: try RoundTripPeer.frames(endpoint: endpoint, window: window, per: per)
        case .message: try RoundTripPeer.message(endpoint: endpoint, window: window, per: per)
        case .loop: try RoundTripPeer.loop(endpoint: endpoint, window: window, per: per)
        }
    }
}

/// The ROUTER side of `rt`: echoes every request to the peer it came from.
enum RoundTripEcho {
    /// Blocking `receive() -> [Frame]` and `send(_: [Frame])` of whole messages on this thread.
    /// - Returns: seconds from the first request to the last echo, once every peer has exited.
    static func frames(endpoint: String, total: Int, waitingFor children: [ChildProcess]) throws -> Double {
        let context = try Context()
        let router = try Socket(context, type: .router)
        try router.bind(endpoint)
        var echoed = 0
        var start = 0.0
        while echoed < total {
            // [routing id, body]; `nil` only comes with dontWait or a receive timeout, neither used here.
            guard let message = try router.receive() else { continue }
            if echoed == 0 { start = MonotonicClock.now() }
            try router.send(message)
            echoed += 1
        }
        let seconds = MonotonicClock.now() - start
        for child in children { try child.wait() }
        return seconds
    }

    /// Two reused `Message`s, received into and sent on, exactly as zmq_rt.c uses two `zmq_msg_t`.
    static func message(endpoint: String, total: Int, waitingFor children: [ChildProcess]) throws -> Double {
        let context = try Context()
        let router = try Socket(context, type: .router)
        try router.bind(endpoint)
        let id = Message()
        let body = Message()
        var echoed = 0
        var start = 0.0
        while echoed < total {
            // [routing id, body]: the DEALERs send one frame each. `false` only comes with dontWait or a timeout.
            guard try router.receive(into: id), try router.receive(into: body) else { continue }
            if echoed == 0 { start = MonotonicClock.now() }
            try router.send(id, more: true)
            try router.send(body)
            echoed += 1
        }
        let seconds = MonotonicClock.now() - start
        for child in children { try child.wait() }
        return seconds
    }

    /// The same through a `SocketLoop`: requests arrive on `inbound`, echoes leave through `send(_:on:)`.
    static func loop(endpoint: String, total: Int, waitingFor children: [ChildProcess]) throws -> Double {
        let context = try Context()
        let (loop, seconds) = try waitForAsync {
            let loop = try await SocketLoop.start(
                context: context, sockets: [SocketSpec(.router, bind: [endpoint])], name: "bench-router")
            var echoed = 0
            var start = 0.0
            for await item in loop.inbound {
                guard case .message(let socket, let frames) = item else { continue }
                if echoed == 0 { start = MonotonicClock.now() }
                loop.send(frames, on: socket)
                echoed += 1
                if echoed == total { break }
            }
            guard echoed == total else { throw BenchError("inbound ended after \(echoed) of \(total) requests") }
            return (loop, MonotonicClock.now() - start)
        }
        // The last echoes may still be queued: the loop keeps running until every peer has them and exited.
        for child in children { try child.wait() }
        try waitForAsync { await loop.stop() }
        return seconds
    }
}

/// The DEALER side of `rt`: keeps `window` requests in flight and sends the next on each reply.
enum RoundTripPeer {
    static func frames(endpoint: String, window: Int, per: Int) throws {
        let context = try Context()
        let dealer = try Socket(context, type: .dealer)
        try dealer.connect(endpoint)
        let request = Frame([UInt8](repeating: 0, count: 16))
        var sent = 0
        var received = 0
        while sent < window && sent < per {
            try dealer.send(request)
            sent += 1
        }
        while received < per {
            guard let reply = try dealer.receive() else { continue }
            received += 1
            if sent < per {
                try dealer.send(reply)
                sent += 1
            }
        }
    }

    /// zmq_rt.c's DEALER sends from and receives into one buffer; here a request `Frame` (sent by copy, as
    /// `zmq_send` copies) and one reused `Message` for the replies, each sent straight back.
    static func message(endpoint: String, window: Int, per: Int) throws {
        let context = try Context()
        let dealer = try Socket(context, type: .dealer)
        try dealer.connect(endpoint)
        let request = Frame([UInt8](repeating: 0, count: 16))
        let reply = Message()
        var sent = 0
        var received = 0
        while sent < window && sent < per {
            try dealer.send(request)
            sent += 1
        }
        while received < per {
            guard try dealer.receive(into: reply) else { continue }
            received += 1
            if sent < per {
                try dealer.send(reply)
                sent += 1
            }
        }
    }

    static func loop(endpoint: String, window: Int, per: Int) throws {
        let context = try Context()
        try waitForAsync {
            let loop = try await SocketLoop.start(
                context: context, sockets: [SocketSpec(.dealer, connect: [endpoint])], name: "bench-dealer")
            let request = Frame([UInt8](repeating: 0, count: 16))
            var sent = 0
            var received = 0
            while sent < window && sent < per {
                loop.send([request], on: 0)
                sent += 1
            }
            for await item in loop.inbound {
                guard case .message(_, let reply) = item else { continue }
                received += 1
                if sent < per {
                    loop.send(reply, on: 0)
                    sent += 1
                }
                if received == per { break }
            }
            await loop.stop()
            guard received == per else { throw BenchError("inbound ended after \(received) of \(per) replies") }
        }
    }
}
