import ZeroMQ

/// Any Shoal message, as decoded from frames.
public enum ShoalMessage: Sendable, Equatable {
    case hello(Hello)
    case welcome(Welcome)
    case heartbeat(Heartbeat)
    case bye(Bye)
    case drain(Drain)
    case task(TaskBatch)
    case result(ResultBatch)
    case cancel(CancelTasks)
    case ping(Ping)
    case pong(Pong)
    case submit(SubmitJob)
    case accepted(JobAccepted)
    case status(StatusRequest)
    case statusReport(StatusReport)
    case cancelJob(CancelJob)
    case drainWorker(DrainWorker)
    case reloadKeys(ReloadKeys)
    case event(ClusterEvent)
    case error(ErrorReply)

    /// The message inside, for encoding.
    public var body: any WireMessage {
        switch self {
        case .hello(let m): m
        case .welcome(let m): m
        case .heartbeat(let m): m
        case .bye(let m): m
        case .drain(let m): m
        case .task(let m): m
        case .result(let m): m
        case .cancel(let m): m
        case .ping(let m): m
        case .pong(let m): m
        case .submit(let m): m
        case .accepted(let m): m
        case .status(let m): m
        case .statusReport(let m): m
        case .cancelJob(let m): m
        case .drainWorker(let m): m
        case .reloadKeys(let m): m
        case .event(let m): m
        case .error(let m): m
        }
    }

    public var type: MessageType { Swift.type(of: body).type }
}
