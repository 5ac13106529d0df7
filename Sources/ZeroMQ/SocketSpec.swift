/// One socket a `SocketLoop` creates and owns: its type, options, binds and connects.
public struct SocketSpec: Sendable {
    public var type: SocketType
    /// Applied in order before any bind or connect.
    public var options: [SocketOption]
    /// Endpoints to bind; port 0 or `*` picks a free port, reported in `SocketLoop.endpoints`.
    public var bind: [String]
    /// Endpoints to connect to.
    public var connect: [String]
    /// Monitor events to report as `SocketLoop.Inbound.event` (a `ZMQ_EVENT_*` mask), or `nil` for none.
    public var monitorEvents: Int32?
    /// How long `stop()` lets this socket flush unsent messages.
    public var lingerOnStop: Int32
    /// For a socket whose peers authenticate through a `ZAPHandler`: asked, on the loop thread, for the
    /// "User-Id" the handler gave the sender of each message. A message it refuses is dropped, the sender's
    /// connection is shut down (it will have to handshake again, and meet the handler), and the loop reports
    /// `.refused`. This is how a key revoked after its handshake loses its connection.
    public var admit: (@Sendable (_ userID: String) -> Bool)?
    /// A message the socket cannot take now (a ROUTER peer whose queue is at its high-water mark) fails at once,
    /// reported as `.sendFailed` with EAGAIN, instead of waiting in the loop's queue. For a socket serving many
    /// peers: the loop's queue is one per socket, so a peer that stops reading would otherwise hold up every
    /// message after its own — and keep the loop polling, since a ROUTER is writable while any peer has room.
    public var dropWhenFull = false

    public init(
        _ type: SocketType,
        options: [SocketOption] = [],
        bind: [String] = [],
        connect: [String] = [],
        monitorEvents: Int32? = nil,
        lingerOnStop milliseconds: Int32 = 1_000,
        admit: (@Sendable (_ userID: String) -> Bool)? = nil
    ) {
        self.type = type
        self.options = options
        self.bind = bind
        self.connect = connect
        self.monitorEvents = monitorEvents
        self.lingerOnStop = milliseconds
        self.admit = admit
    }
}
