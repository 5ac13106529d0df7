import ZeroMQ

/// A message body that knows its type, its field layout and its payload frames.
public protocol WireMessage: Sendable, Equatable {
    static var type: MessageType { get }
    /// Bulk frames sent after the body, in order. Most messages have none.
    var payloads: [Frame] { get }
    /// Writes the body fields in their documented order.
    func encodeBody(into writer: inout WireWriter)
    /// Reads the body fields, then takes exactly the payload frames the body declares.
    init(body: inout WireReader, payloads: ArraySlice<Frame>) throws(ProtocolError)
}

extension WireMessage {
    public var payloads: [Frame] { [] }

    /// Checks that `payloads` holds exactly `expected` frames, each within the limit.
    static func requirePayloads(
        _ payloads: ArraySlice<Frame>, count expected: Int, limits: ProtocolLimits
    ) throws(ProtocolError) -> [Frame] {
        guard payloads.count == expected else {
            throw .frameCount(type: type.description, expected: expected + 2, got: payloads.count + 2)
        }
        for frame in payloads where frame.count > limits.maxPayloadFrameBytes {
            throw .tooLarge(field: "\(type) payload frame", size: frame.count, limit: limits.maxPayloadFrameBytes)
        }
        return Array(payloads)
    }
}

/// A task and which attempt at it: the fencing token of every task message.
public struct TaskRef: Sendable, Hashable, CustomStringConvertible {
    public var taskID: UInt64
    public var attempt: UInt32

    public init(taskID: UInt64, attempt: UInt32) {
        self.taskID = taskID
        self.attempt = attempt
    }

    static let encodedSize = 12

    func encode(into writer: inout WireWriter) {
        writer.u64(taskID)
        writer.u32(attempt)
    }

    init(from reader: inout WireReader) throws(ProtocolError) {
        taskID = try reader.u64("task_id")
        attempt = try reader.u32("attempt")
    }

    public var description: String { "task \(taskID) attempt \(attempt)" }
}

/// A named integer counter (records read, rows quarantined, …).
public struct Counter: Sendable, Hashable, Codable {
    public var name: String
    public var value: Int64

    public init(name: String, value: Int64) {
        self.name = name
        self.value = value
    }

    static let minimumEncodedSize = 12

    func encode(into writer: inout WireWriter) {
        writer.string(name)
        writer.i64(value)
    }

    init(from reader: inout WireReader) throws(ProtocolError) {
        name = try reader.string("counter.name")
        value = try reader.i64("counter.value")
    }
}
