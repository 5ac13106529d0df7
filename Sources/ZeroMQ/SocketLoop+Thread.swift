import Foundation

/// The body of a `SocketLoop`'s thread. Everything here runs on that one thread.
enum LoopThread {
    /// How many messages one socket may deliver before the loop looks at the others and at commands.
    static let receiveBurst = 256

    static func run(
        context: Context,
        specs: [SocketSpec],
        mailbox: Mailbox,
        inbound: AsyncStream<SocketLoop.Inbound>.Continuation,
        ready: CheckedContinuation<[[String]], Error>
    ) {
        var state: LoopState
        do {
            state = try LoopState(context: context, specs: specs, mailbox: mailbox)
        } catch {
            _ = mailbox.close()
            inbound.finish()
            ready.resume(throwing: error)
            return
        }
        ready.resume(returning: state.endpoints)

        var stopWaiters: [CheckedContinuation<Void, Never>] = []
        loop: while true {
            for index in specs.indices {
                state.poller.setEvents(
                    state.pending[index].isEmpty ? .readable : [.readable, .writable], at: state.socketItem(index))
            }
            do {
                try state.poller.poll(timeout: -1)
            } catch {
                break loop  // ETERM: the context was shut down under us; close and leave.
            }
            if state.poller.events(at: 0).contains(.readable) {
                while (try? state.wakeReceiver.receive(dontWait: true)) != nil {}
                var stopping = false
                for command in mailbox.take() {
                    switch command {
                    case .send(let socket, let frames):
                        state.send(frames, on: socket, inbound: inbound)
                    case .run(let body):
                        body(state.sockets)
                    case .stop(let waiter):
                        if let waiter { stopWaiters.append(waiter) }
                        stopping = true
                    }
                }
                if stopping { break loop }
            }
            for index in specs.indices {
                let events = state.poller.events(at: state.socketItem(index))
                if events.contains(.writable) { state.flush(index, inbound: inbound) }
                if events.contains(.readable) {
                    let admit = specs[index].admit
                    for _ in 0..<receiveBurst {
                        guard let frames = try? state.sockets[index].receive(dontWait: true) else { break }
                        if let admit {
                            switch state.gate.check(frames, admit: admit) {
                            case .admitted: break
                            case .refused(let peer, let address):
                                inbound.yield(.refused(socket: index, peer: peer, address: address))
                                continue
                            case .dropped:
                                continue
                            }
                        }
                        inbound.yield(.message(socket: index, frames: frames))
                    }
                }
            }
            for (index, monitor) in state.monitors {
                guard let item = state.monitorItems[index],
                    state.poller.events(at: item).contains(.readable)
                else { continue }
                while let event = try? monitor.receive(dontWait: true) {
                    inbound.yield(.event(socket: index, event))
                }
            }
        }

        // Shutdown: whatever was still queued is sent or dropped, then linger, close, and report.
        for command in mailbox.close() {
            switch command {
            case .send(let socket, let frames): state.send(frames, on: socket, inbound: inbound)
            case .run(let body): body(state.sockets)
            case .stop(let waiter): if let waiter { stopWaiters.append(waiter) }
            }
        }
        state.closeAll(specs: specs)
        inbound.finish()
        for waiter in stopWaiters { waiter.resume() }
    }
}

/// The `admit` gate of a loop's sockets: drops the messages of peers whose key is no longer allowed and shuts
/// their connections down, once each.
///
/// A connection is shut down by its descriptor (`ZMQ_SRCFD`), with shutdown(2), not close(2): the descriptor stays
/// libzmq's, which sees the connection end and cleans up. Messages of that connection already queued in libzmq
/// still arrive afterwards, carrying the same descriptor number, which by then may belong to a new connection: so
/// each (descriptor, key) is shut down once, and only while the descriptor's peer is still the address the
/// message came from.
struct AdmissionGate {
    enum Verdict {
        case admitted
        /// Refused, and the connection shut down: report it.
        case refused(peer: String, address: String)
        /// Refused again, from a connection already shut down: drop quietly.
        case dropped
    }

    /// Descriptors shut down for a refused key, and that key.
    private var shutDown: [Int32: String] = [:]

    /// The properties come from the last frame: a ROUTER's routing-id frame is made locally and carries none.
    mutating func check(_ frames: [Frame], admit: (String) -> Bool) -> Verdict {
        guard let last = frames.last else { return .admitted }
        let peer = last.connectionProperty("User-Id") ?? ""
        let fd = last.sourceDescriptor
        if admit(peer) {
            // A descriptor number now carrying an allowed key belongs to a new connection.
            if !shutDown.isEmpty, let fd { shutDown[fd] = nil }
            return .admitted
        }
        let address = last.connectionProperty("Peer-Address") ?? ""
        guard let fd else { return .refused(peer: peer, address: address) }
        if shutDown[fd] == peer { return .dropped }
        if Self.peerAddress(of: fd) == address {
            _ = shutdown(fd, Int32(SHUT_RDWR))
            shutDown[fd] = peer
        }
        return .refused(peer: peer, address: address)
    }

    /// The IP address of the peer of socket `fd`, as libzmq writes "Peer-Address"; `nil` if it is not a
    /// connected IP socket (any more).
    static func peerAddress(of fd: Int32) -> String? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let got = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) }
        }
        guard got == 0 else { return nil }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { address in
                    var ip = address.pointee.sin_addr
                    return inet_ntop(AF_INET, &ip, &text, socklen_t(text.count)).map { _ in String(cString: text) }
                }
            }
        case AF_INET6:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { address in
                    var ip = address.pointee.sin6_addr
                    return inet_ntop(AF_INET6, &ip, &text, socklen_t(text.count)).map { _ in String(cString: text) }
                }
            }
        default:
            return nil
        }
    }
}

/// The sockets and queues a loop thread owns.
struct LoopState {
    let sockets: [Socket]
    let monitors: [Int: SocketMonitor]
    var monitorItems: [Int: Int] = [:]
    let wakeReceiver: Socket
    let poller = Poller()
    var pending: [PendingQueue]
    /// `SocketSpec.dropWhenFull`, by socket.
    let dropsWhenFull: [Bool]
    /// For sockets with an `admit` closure.
    var gate = AdmissionGate()
    let endpoints: [[String]]

    init(context: Context, specs: [SocketSpec], mailbox: Mailbox) throws {
        var sockets: [Socket] = []
        var endpoints: [[String]] = []
        var monitors: [Int: SocketMonitor] = [:]
        for (index, spec) in specs.enumerated() {
            let socket = try Socket(context, type: spec.type)
            sockets.append(socket)
            try socket.set(spec.options)
            if let events = spec.monitorEvents {
                monitors[index] = try SocketMonitor(watching: socket, events: events)
            }
            var bound: [String] = []
            for endpoint in spec.bind {
                try socket.bind(endpoint)
                bound.append(try socket.lastEndpoint)
            }
            for endpoint in spec.connect { try socket.connect(endpoint) }
            endpoints.append(bound)
        }
        let wakeEndpoint = InprocName.unique("shoal-loop-wake")
        let receiver = try Socket(context, type: .pull)
        try receiver.set(.linger(milliseconds: 0))
        try receiver.bind(wakeEndpoint)
        let sender = try Socket(context, type: .push)
        try sender.set(.linger(milliseconds: 0))
        try sender.connect(wakeEndpoint)
        mailbox.install(WakeSocket(sender))

        self.sockets = sockets
        self.monitors = monitors
        self.wakeReceiver = receiver
        self.endpoints = endpoints
        self.pending = Array(repeating: PendingQueue(), count: specs.count)
        self.dropsWhenFull = specs.map(\.dropWhenFull)
        poller.register(receiver)
        for socket in sockets { poller.register(socket) }
        for (index, monitor) in monitors { monitorItems[index] = poller.register(monitor.socket) }
    }

    /// Item 0 is the wake-up socket; socket `index` is item `index + 1`.
    func socketItem(_ index: Int) -> Int { index + 1 }

    mutating func send(_ frames: [Frame], on index: Int, inbound: AsyncStream<SocketLoop.Inbound>.Continuation) {
        guard sockets.indices.contains(index) else {
            inbound.yield(.sendFailed(socket: index, error: ZMQError(operation: "SocketLoop.send", code: EINVAL),
                                      frames: frames))
            return
        }
        if !pending[index].isEmpty {
            pending[index].append(frames)
            return
        }
        do {
            if try !sockets[index].send(frames, dontWait: true) {
                if dropsWhenFull[index] {
                    inbound.yield(.sendFailed(socket: index, error: ZMQError(operation: "zmq_msg_send", code: EAGAIN),
                                              frames: frames))
                } else {
                    pending[index].append(frames)
                }
            }
        } catch {
            inbound.yield(.sendFailed(socket: index, error: error, frames: frames))
        }
    }

    mutating func flush(_ index: Int, inbound: AsyncStream<SocketLoop.Inbound>.Continuation) {
        while let frames = pending[index].first {
            do {
                guard try sockets[index].send(frames, dontWait: true) else { return }
            } catch {
                inbound.yield(.sendFailed(socket: index, error: error, frames: frames))
            }
            pending[index].removeFirst()
        }
    }

    /// Hands what is still pending to libzmq, sets each socket's linger and closes it, monitors first.
    mutating func closeAll(specs: [SocketSpec]) {
        for index in sockets.indices {
            while let frames = pending[index].first, (try? sockets[index].send(frames, dontWait: true)) == true {
                pending[index].removeFirst()
            }
        }
        for monitor in monitors.values { monitor.socket.close() }
        for (index, socket) in sockets.enumerated() {
            try? socket.set(.linger(milliseconds: specs[index].lingerOnStop))
            socket.close()
        }
        wakeReceiver.close()
    }
}

/// A FIFO of messages waiting for a socket to become writable; amortised O(1) at both ends.
struct PendingQueue {
    private var items: [[Frame]] = []
    private var head = 0

    var isEmpty: Bool { head == items.count }
    var first: [Frame]? { isEmpty ? nil : items[head] }

    mutating func append(_ frames: [Frame]) { items.append(frames) }

    mutating func removeFirst() {
        head += 1
        if head == items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 1024 && head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
    }
}
