/// The type byte of a message header (docs/protocol.md, "Message types").
public enum MessageType: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case hello = 0x01
    case welcome = 0x02
    case heartbeat = 0x03
    case bye = 0x04
    case drain = 0x05
    case task = 0x10
    case result = 0x11
    case cancel = 0x12
    case ping = 0x20
    case pong = 0x21
    case submit = 0x30
    case accepted = 0x31
    case status = 0x32
    case statusReport = 0x33
    case cancelJob = 0x34
    case drainWorker = 0x35
    case reloadKeys = 0x36
    case event = 0x40
    case error = 0x7F

    /// The name used in docs/protocol.md and in errors.
    public var description: String {
        switch self {
        case .hello: "HELLO"
        case .welcome: "WELCOME"
        case .heartbeat: "HEARTBEAT"
        case .bye: "BYE"
        case .drain: "DRAIN"
        case .task: "TASK"
        case .result: "RESULT"
        case .cancel: "CANCEL"
        case .ping: "PING"
        case .pong: "PONG"
        case .submit: "SUBMIT"
        case .accepted: "ACCEPTED"
        case .status: "STATUS"
        case .statusReport: "STATUS-REPORT"
        case .cancelJob: "CANCEL-JOB"
        case .drainWorker: "DRAIN-WORKER"
        case .reloadKeys: "RELOAD-KEYS"
        case .event: "EVENT"
        case .error: "ERROR"
        }
    }

    /// Types whose layout is frozen across versions (fields are only ever appended), so any version can read
    /// them: they carry the version negotiation itself and the refusal when it fails.
    public var isVersionIndependent: Bool {
        switch self {
        case .hello, .welcome, .ping, .pong, .error: true
        default: false
        }
    }
}
