import ZeroMQ

/// WELCOME, coordinator → worker: accepts a HELLO and fixes the version and liveness rules.
public struct Welcome: WireMessage {
    public static let type = MessageType.welcome
    /// The version both sides use from now on (frozen: always the first byte).
    public var version: UInt8
    public var coordinatorID: String
    /// Increases every time the coordinator starts; a worker seeing a new epoch re-reports what it holds.
    public var epoch: UInt64
    public var heartbeatIntervalMs: UInt32
    /// Silence longer than this means the peer is dead.
    public var heartbeatTimeoutMs: UInt32
    /// The largest payload frame the coordinator accepts.
    public var maxPayloadFrameBytes: UInt64
    /// The coordinator found the worker's shared-memory probe: bulk frames may go through shared memory both
    /// ways (`FramePlacement.sharedMemory`). Protocol version 3.
    public var sharedMemory: Bool

    public init(
        version: UInt8, coordinatorID: String, epoch: UInt64, heartbeatIntervalMs: UInt32,
        heartbeatTimeoutMs: UInt32, maxPayloadFrameBytes: UInt64, sharedMemory: Bool = false
    ) {
        self.version = version
        self.coordinatorID = coordinatorID
        self.epoch = epoch
        self.heartbeatIntervalMs = heartbeatIntervalMs
        self.heartbeatTimeoutMs = heartbeatTimeoutMs
        self.maxPayloadFrameBytes = maxPayloadFrameBytes
        self.sharedMemory = sharedMemory
    }

    public func encodeBody(into w: inout WireWriter) {
        w.u8(version)
        w.string(coordinatorID)
        w.u64(epoch)
        w.u32(heartbeatIntervalMs)
        w.u32(heartbeatTimeoutMs)
        w.u64(maxPayloadFrameBytes)
        w.bool(sharedMemory)
    }

    public init(body r: inout WireReader, payloads: ArraySlice<Frame>) throws(ProtocolError) {
        version = try r.u8("version")
        coordinatorID = try r.string("coordinator_id")
        epoch = try r.u64("epoch")
        heartbeatIntervalMs = try r.u32("heartbeat_interval_ms")
        heartbeatTimeoutMs = try r.u32("heartbeat_timeout_ms")
        guard heartbeatIntervalMs > 0, heartbeatTimeoutMs > heartbeatIntervalMs else {
            throw .invalidValue(
                field: "heartbeat_timeout_ms",
                reason: "interval \(heartbeatIntervalMs) ms must be > 0 and below the timeout \(heartbeatTimeoutMs) ms")
        }
        maxPayloadFrameBytes = try r.u64("max_payload_frame_bytes")
        sharedMemory = try r.bool("shared_memory")
        _ = try Self.requirePayloads(payloads, count: 0, limits: r.limits)
    }
}
