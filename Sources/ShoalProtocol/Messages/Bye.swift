import ZeroMQ

/// BYE, either direction: the sender leaves; tasks listed in `returned` go back to the queue at once.
public struct Bye: WireMessage {
    public static let type = MessageType.bye
    public var reason: String
    public var returned: [TaskRef]

    public init(reason: String, returned: [TaskRef] = []) {
        self.reason = reason
        self.returned = returned
    }

    public func encodeBody(into w: inout WireWriter) {
        w.string(reason)
        w.list(returned) { $1.encode(into: &$0) }
    }

    public init(body r: inout WireReader, payloads: ArraySlice<Frame>) throws(ProtocolError) {
        reason = try r.string("reason")
        returned = try r.list("returned", minimumElementBytes: TaskRef.encodedSize) {
            (r: inout WireReader) throws(ProtocolError) in try TaskRef(from: &r)
        }
        _ = try Self.requirePayloads(payloads, count: 0, limits: r.limits)
    }
}
