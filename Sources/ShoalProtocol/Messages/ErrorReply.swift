import ZeroMQ

/// ERROR, either direction: a request or message was refused. Layout frozen across versions.
public struct ErrorReply: WireMessage, Error {
    public static let type = MessageType.error

    /// Why (docs/protocol.md, "Error codes"). Unknown codes decode as `.other`.
    public enum Code: Sendable, Equatable, CustomStringConvertible {
        case malformed, unsupportedVersion, unknownType, notRegistered, tooLarge, unauthorized
        case invalidJob, notFound, shuttingDown, internalError
        case other(UInt16)

        public init(rawValue: UInt16) {
            switch rawValue {
            case 1: self = .malformed
            case 2: self = .unsupportedVersion
            case 3: self = .unknownType
            case 4: self = .notRegistered
            case 5: self = .tooLarge
            case 6: self = .unauthorized
            case 7: self = .invalidJob
            case 8: self = .notFound
            case 9: self = .shuttingDown
            case 10: self = .internalError
            default: self = .other(rawValue)
            }
        }

        public var rawValue: UInt16 {
            switch self {
            case .malformed: 1
            case .unsupportedVersion: 2
            case .unknownType: 3
            case .notRegistered: 4
            case .tooLarge: 5
            case .unauthorized: 6
            case .invalidJob: 7
            case .notFound: 8
            case .shuttingDown: 9
            case .internalError: 10
            case .other(let code): code
            }
        }

        public var description: String {
            switch self {
            case .malformed: "malformed"
            case .unsupportedVersion: "unsupported-version"
            case .unknownType: "unknown-type"
            case .notRegistered: "not-registered"
            case .tooLarge: "too-large"
            case .unauthorized: "unauthorized"
            case .invalidJob: "invalid-job"
            case .notFound: "not-found"
            case .shuttingDown: "shutting-down"
            case .internalError: "internal"
            case .other(let code): "error-\(code)"
            }
        }
    }

    public var code: Code
    /// The type byte of the message this answers (0 when none could be read).
    public var inReplyTo: UInt8
    /// The request id of the message this answers (0 when it had none).
    public var requestID: UInt64
    /// For a person: what was wrong and what to do.
    public var message: String
    /// The sender's supported protocol versions, so a peer refused for its version can say which to use.
    public var minVersion: UInt8
    public var maxVersion: UInt8

    public init(code: Code, inReplyTo: UInt8 = 0, requestID: UInt64 = 0, message: String,
                minVersion: UInt8 = ProtocolVersion.minimum, maxVersion: UInt8 = ProtocolVersion.current) {
        self.code = code
        self.inReplyTo = inReplyTo
        self.requestID = requestID
        self.message = message
        self.minVersion = minVersion
        self.maxVersion = maxVersion
    }

    public func encodeBody(into w: inout WireWriter) {
        w.u16(code.rawValue)
        w.u8(inReplyTo)
        w.u64(requestID)
        w.string(message)
        w.u8(minVersion)
        w.u8(maxVersion)
    }

    public init(body r: inout WireReader, payloads: ArraySlice<Frame>) throws(ProtocolError) {
        code = Code(rawValue: try r.u16("code"))
        inReplyTo = try r.u8("in_reply_to")
        requestID = try r.u64("request_id")
        message = try r.string("message")
        minVersion = try r.u8("min_version")
        maxVersion = try r.u8("max_version")
        _ = try Self.requirePayloads(payloads, count: 0, limits: r.limits)
    }
}
