import CZeroMQ

/// What a socket is ready for, or should be polled for.
public struct PollEvents: OptionSet, Sendable, Hashable {
    public let rawValue: Int16
    public init(rawValue: Int16) { self.rawValue = rawValue }

    /// A message can be received without blocking.
    public static let readable = PollEvents(rawValue: Int16(ZMQ_POLLIN))
    /// A message can be sent without blocking.
    public static let writable = PollEvents(rawValue: Int16(ZMQ_POLLOUT))
    /// An error on a plain file descriptor (never set for ZeroMQ sockets).
    public static let error = PollEvents(rawValue: Int16(ZMQ_POLLERR))
}

/// Waits on several sockets (and plain file descriptors) at once with `zmq_poll`.
///
/// Not `Sendable`: it holds sockets, and polls them on the thread that owns them.
public final class Poller {
    private var sockets: [Socket?] = []
    private var items: [zmq_pollitem_t] = []

    public init() {}

    /// The number of registered items.
    public var count: Int { items.count }

    /// Watches `socket` for `events`; returns the item's index for `events(at:)` and `setEvents`.
    @discardableResult
    public func register(_ socket: Socket, for events: PollEvents = .readable) -> Int {
        sockets.append(socket)
        items.append(zmq_pollitem_t(socket: socket.rawHandle, fd: -1, events: events.rawValue, revents: 0))
        return items.count - 1
    }

    /// Watches a plain file descriptor, e.g. a pipe or an eventfd.
    @discardableResult
    public func register(fileDescriptor: Int32, for events: PollEvents = .readable) -> Int {
        sockets.append(nil)
        items.append(zmq_pollitem_t(socket: nil, fd: fileDescriptor, events: events.rawValue, revents: 0))
        return items.count - 1
    }

    /// Changes what item `index` is watched for.
    public func setEvents(_ events: PollEvents, at index: Int) {
        items[index].events = events.rawValue
    }

    /// What item `index` was found ready for by the last `poll`.
    public func events(at index: Int) -> PollEvents {
        PollEvents(rawValue: items[index].revents)
    }

    /// Waits until an item is ready or `milliseconds` pass (-1: forever, 0: just look).
    /// - Returns: how many items are ready; 0 means the timeout expired.
    /// - Throws: `ZMQError` (ETERM once the context is shut down). EINTR is retried with the time left.
    @discardableResult
    public func poll(timeout milliseconds: Int) throws(ZMQError) -> Int {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .milliseconds(max(milliseconds, 0)))
        var remaining = milliseconds
        while true {
            let ready = items.withUnsafeMutableBufferPointer { zmq_poll($0.baseAddress, Int32($0.count), remaining) }
            if ready >= 0 { return Int(ready) }
            let error = ZMQError.last("zmq_poll")
            guard error.code == EINTR else { throw error }
            if milliseconds > 0 {
                let left = clock.now.duration(to: deadline)
                guard left > .zero else { return 0 }
                remaining = Int(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000)
            }
        }
    }
}
