import ZeroMQ

/// Encodes Shoal messages to frames and decodes them back (docs/protocol.md, "Framing").
///
/// A message is a header frame (`'S' 'H' version type`), a body frame of control fields, then zero or more
/// payload frames of raw bytes. Decoding checks every size and count and throws `ProtocolError`; it never traps,
/// whatever the frames hold.
public enum ShoalCodec {
    /// The first two header bytes: "SH".
    public static let magic: (UInt8, UInt8) = (0x53, 0x48)

    /// The frames of `message`, encoded with protocol `version`.
    public static func encode(_ message: some WireMessage, version: UInt8 = ProtocolVersion.current) -> [Frame] {
        var writer = WireWriter()
        message.encodeBody(into: &writer)
        return [Frame([magic.0, magic.1, version, type(of: message).type.rawValue]), Frame(writer.bytes)]
            + message.payloads
    }

    /// The frames of `message`, encoded with protocol `version`.
    public static func encode(_ message: ShoalMessage, version: UInt8 = ProtocolVersion.current) -> [Frame] {
        encode(message.body, version: version)
    }

    /// Reads a header frame: the version it was encoded with and its raw type byte.
    /// - Throws: `ProtocolError.badHeader` unless the frame is exactly 4 bytes starting "SH".
    public static func header(_ frame: Frame) throws(ProtocolError) -> (version: UInt8, type: UInt8) {
        let header = frame.withUnsafeBytes { raw -> (UInt8, UInt8)? in
            guard raw.count == 4, raw[0] == magic.0, raw[1] == magic.1 else { return nil }
            return (raw[2], raw[3])
        }
        guard let header else { throw .badHeader(bytes: frame.count) }
        return header
    }

    /// Decodes one message from its frames (after any ROUTER routing frame has been taken off).
    /// - Throws: `ProtocolError` for anything that is not a valid message of a supported version.
    public static func decode(
        _ frames: ArraySlice<Frame>, limits: ProtocolLimits = .standard
    ) throws(ProtocolError) -> ShoalMessage {
        guard frames.count >= 2 else { throw .frameCount(type: "message", expected: 2, got: frames.count) }
        let (version, typeByte) = try header(frames[frames.startIndex])
        guard let type = MessageType(rawValue: typeByte) else { throw .unknownType(typeByte) }
        guard type.isVersionIndependent || ProtocolVersion.supported.contains(version) else {
            throw .unsupportedVersion(got: version, supported: ProtocolVersion.supported)
        }
        guard frames.count - 2 <= limits.maxPayloadFrames else {
            throw .tooLarge(field: "\(type) payload frames", size: frames.count - 2, limit: limits.maxPayloadFrames)
        }
        let bodyFrame = frames[frames.startIndex + 1]
        guard bodyFrame.count <= limits.maxBodyBytes else {
            throw .tooLarge(field: "\(type) body", size: bodyFrame.count, limit: limits.maxBodyBytes)
        }
        var reader = WireReader(bodyFrame.bytes, type: type.description, limits: limits)
        let payloads = frames.dropFirst(2)
        switch type {
        case .hello: return .hello(try Hello(body: &reader, payloads: payloads))
        case .welcome: return .welcome(try Welcome(body: &reader, payloads: payloads))
        case .heartbeat: return .heartbeat(try Heartbeat(body: &reader, payloads: payloads))
        case .bye: return .bye(try Bye(body: &reader, payloads: payloads))
        case .drain: return .drain(try Drain(body: &reader, payloads: payloads))
        case .task: return .task(try TaskBatch(body: &reader, payloads: payloads))
        case .result: return .result(try ResultBatch(body: &reader, payloads: payloads))
        case .cancel: return .cancel(try CancelTasks(body: &reader, payloads: payloads))
        case .ping: return .ping(try Ping(body: &reader, payloads: payloads))
        case .pong: return .pong(try Pong(body: &reader, payloads: payloads))
        case .submit: return .submit(try SubmitJob(body: &reader, payloads: payloads))
        case .accepted: return .accepted(try JobAccepted(body: &reader, payloads: payloads))
        case .status: return .status(try StatusRequest(body: &reader, payloads: payloads))
        case .statusReport: return .statusReport(try StatusReport(body: &reader, payloads: payloads))
        case .cancelJob: return .cancelJob(try CancelJob(body: &reader, payloads: payloads))
        case .drainWorker: return .drainWorker(try DrainWorker(body: &reader, payloads: payloads))
        case .reloadKeys: return .reloadKeys(try ReloadKeys(body: &reader, payloads: payloads))
        case .event: return .event(try ClusterEvent(body: &reader, payloads: payloads))
        case .error: return .error(try ErrorReply(body: &reader, payloads: payloads))
        }
    }

    /// Decodes one message from its frames.
    public static func decode(_ frames: [Frame], limits: ProtocolLimits = .standard) throws(ProtocolError)
        -> ShoalMessage
    {
        try decode(frames[...], limits: limits)
    }

    /// Splits what a ROUTER received from a DEALER peer into the peer's routing id and the message.
    public static func decodeRouted(_ frames: [Frame], limits: ProtocolLimits = .standard) throws(ProtocolError)
        -> (peer: Frame, message: ShoalMessage)
    {
        guard let peer = frames.first else { throw .frameCount(type: "routed message", expected: 3, got: 0) }
        return (peer, try decode(frames.dropFirst(), limits: limits))
    }

    /// The frames of an event on the PUB socket: a topic frame (`"job.<id>"` or `"cluster"`), then the message.
    public static func encodeEvent(topic: String, _ event: ClusterEvent) -> [Frame] {
        [Frame(topic)] + encode(event)
    }

    /// Reads an event from a SUB socket.
    public static func decodeEvent(_ frames: [Frame], limits: ProtocolLimits = .standard) throws(ProtocolError)
        -> (topic: String, event: ClusterEvent)
    {
        guard let topicFrame = frames.first else { throw .frameCount(type: "EVENT", expected: 4, got: 0) }
        guard let topic = topicFrame.utf8String else { throw .invalidUTF8(field: "topic") }
        guard case .event(let event) = try decode(frames.dropFirst(), limits: limits) else {
            throw .invalidValue(field: "type", reason: "the event channel carries only EVENT messages")
        }
        return (topic, event)
    }
}
