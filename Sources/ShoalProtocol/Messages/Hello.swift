/// HELLO, worker → coordinator: registers a worker. The first message on every (re)connection.
public struct Hello: WireMessage {
    public static let type = MessageType.hello
    /// The oldest and newest protocol versions the worker speaks (frozen: always the first two bytes).
    public var minVersion: UInt8
    public var maxVersion: UInt8
    /// Stable for the worker process's life; a reconnecting worker sends the same id.
    public var workerID: String
    public var host: String
    public var pid: UInt32
    /// Tasks the worker runs at once: its credit.
    public var slots: UInt16
    public var cores: UInt16
    public var memoryBytes: UInt64
    /// The worker's software version, e.g. "shoal 0.1.0".
    public var software: String
    /// Task kinds the worker can execute ("command", "etl", "train", …).
    public var kinds: [String]
    /// Attempts the worker still runs or holds results for, after a reconnect.
    public var held: [TaskRef]
    /// Offers shared memory for bulk frames (`SharedMemoryProbe.none`: none offered). Protocol version 3.
    public var sharedMemoryProbe: SharedMemoryProbe

    public init(
        minVersion: UInt8 = ProtocolVersion.minimum, maxVersion: UInt8 = ProtocolVersion.current,
        workerID: String, host: String, pid: UInt32, slots: UInt16, cores: UInt16, memoryBytes: UInt64,
        software: String, kinds: [String], held: [TaskRef] = [], sharedMemoryProbe: SharedMemoryProbe = .none
    ) {
        self.minVersion = minVersion
        self.maxVersion = maxVersion
        self.workerID = workerID
        self.host = host
        self.pid = pid
        self.slots = slots
        self.cores = cores
        self.memoryBytes = memoryBytes
        self.software = software
        self.kinds = kinds
        self.held = held
        self.sharedMemoryProbe = sharedMemoryProbe
    }

    public func encodeBody(into w: inout WireWriter) {
        w.u8(minVersion)
        w.u8(maxVersion)
        w.string(workerID)
        w.string(host)
        w.u32(pid)
        w.u16(slots)
        w.u16(cores)
        w.u64(memoryBytes)
        w.string(software)
        w.list(kinds) { $0.string($1) }
        w.list(held) { $1.encode(into: &$0) }
        w.string(sharedMemoryProbe.name)
        let nonce = sharedMemoryProbe.nonce
        for index in 0..<16 { w.u8(index < nonce.count ? nonce[index] : 0) }
    }

    public init(body r: inout WireReader, payloads: ArraySlice<Frame>) throws(ProtocolError) {
        minVersion = try r.u8("min_version")
        maxVersion = try r.u8("max_version")
        guard minVersion <= maxVersion else {
            throw .invalidValue(field: "min_version", reason: "min_version \(minVersion) > max_version \(maxVersion)")
        }
        workerID = try r.string("worker_id")
        guard !workerID.isEmpty else { throw .invalidValue(field: "worker_id", reason: "must not be empty") }
        host = try r.string("host")
        pid = try r.u32("pid")
        slots = try r.u16("slots")
        cores = try r.u16("cores")
        memoryBytes = try r.u64("memory_bytes")
        software = try r.string("software")
        kinds = try r.list("kinds", minimumElementBytes: 4) { (r: inout WireReader) throws(ProtocolError) in
            try r.string("kinds[]")
        }
        held = try r.list("held", minimumElementBytes: TaskRef.encodedSize) {
            (r: inout WireReader) throws(ProtocolError) in try TaskRef(from: &r)
        }
        // Versions 1 and 2 end here: their HELLO must still decode, to be refused with both version ranges
        // (docs/protocol.md, section 8) rather than as malformed.
        if r.remaining == 0 && maxVersion < 3 {
            sharedMemoryProbe = .none
        } else {
            let probeName = try r.string("shared_memory_probe")
            var nonce: [UInt8] = []
            for _ in 0..<16 { nonce.append(try r.u8("shared_memory_nonce")) }
            sharedMemoryProbe = SharedMemoryProbe(name: probeName, nonce: nonce)
        }
        _ = try Self.requirePayloads(payloads, count: 0, limits: r.limits)
    }
}

import ZeroMQ
