import Synchronization
import ZeroMQ

/// Where a bulk frame's bytes are: in the frame itself, or in a shared-memory segment the frame names.
/// A TASK says it for each attachment, a RESULT for each output (docs/protocol.md, "Shared memory").
public enum FramePlacement: UInt8, Sendable {
    case inline = 0
    /// The frame holds a `SharedMemoryReference` to bytes to read.
    case sharedMemory = 1
    /// A TASK attachment only: the frame holds a `SharedMemoryReference` to a segment the coordinator lends
    /// this attempt to write an output into (`OutputRoomRequest`); not one of the task's attachments.
    case outputRoom = 2

    /// How a frame goes to a peer: by reference when its bytes are in a segment and the peer maps this host's
    /// shared memory, in the message otherwise.
    public static func of(_ frame: Frame, peerSharesMemory: Bool) -> FramePlacement {
        guard peerSharesMemory, let backed = frame.owner as? any SharedMemoryBacked else { return .inline }
        return backed.isOutputRoom ? .outputRoom : .sharedMemory
    }

    /// The frame that goes on the wire for `frame` placed so: the segment's name and the frame's length.
    public func wireFrame(for frame: Frame) -> Frame {
        guard self != .inline, let backed = frame.owner as? any SharedMemoryBacked else { return frame }
        return SharedMemoryReference(name: backed.segment.name, count: frame.count).encoded
    }

    public init(wire value: UInt8, field: String) throws(ProtocolError) {
        guard let placement = FramePlacement(rawValue: value) else {
            throw .invalidValue(field: field, reason: "unknown placement \(value)")
        }
        self = placement
    }
}

/// The payload frame of a bulk frame placed in shared memory: the segment's name and size.
public struct SharedMemoryReference: Sendable, Equatable {
    public var name: String
    public var count: Int

    public init(name: String, count: Int) {
        self.name = name
        self.count = count
    }

    public var encoded: Frame {
        var w = WireWriter(capacity: 16 + name.utf8.count)
        w.string(name)
        w.u64(UInt64(count))
        return Frame(w.bytes)
    }

    /// The most bytes a reference frame takes, with room to spare: a name (`SharedMemorySegment` names are at
    /// most 96 bytes) and its size.
    /// Checked before the frame's bytes are copied out — a peer may mark any frame, up to a gigabyte, a reference.
    public static let maxEncodedBytes = 4 + 255 + 8

    /// - Parameter limit: the most bytes the segment may hold (the protocol's payload frame limit by default):
    ///   a frame in shared memory obeys the limit an inline frame does.
    public init(decoding frame: Frame, limit: Int = ProtocolLimits.standard.maxPayloadFrameBytes) throws(ProtocolError) {
        guard frame.count <= Self.maxEncodedBytes else {
            throw .invalidValue(field: "shared-memory reference", reason: "\(frame.count) bytes, more than a reference takes")
        }
        var r = WireReader(frame.bytes, type: "shared-memory reference")
        name = try r.string("name")
        let count = try r.u64("count")
        guard count <= UInt64(max(limit, 0)) else {
            throw .invalidValue(field: "count", reason: "\(count) bytes, above the \(limit)-byte frame limit")
        }
        self.count = Int(count)
    }
}

/// Makes the frames that carry bulk bytes (a step's parameters, a gradient): in shared memory when the peer
/// they go to maps this host's and they are big enough to pay for it, on the heap otherwise.
public struct BulkFrames: Sendable {
    enum Source: Sendable {
        case heap
        /// A segment of its own per frame, handed over with it (a worker's output without a room).
        case segments
        /// Leased from a pool (the coordinator's parameters).
        case pool(SharedMemoryPool)
        /// Into the room the coordinator lent this attempt when it fits, else `segments`.
        case room(SharedMemorySegment)
    }

    let source: Source

    public static let heap = BulkFrames(source: .heap)

    /// Each frame in a segment of its own (`sharedMemory`), or on the heap.
    public init(sharedMemory: Bool) { self.init(source: sharedMemory ? .segments : .heap) }

    /// Frames leased from `pool`.
    public init(pool: SharedMemoryPool) { self.init(source: .pool(pool)) }

    /// An attempt's outputs: into `room` (lent by the coordinator) when one fits, else as `sharedMemory` says.
    public init(room: SharedMemorySegment?, sharedMemory: Bool) {
        self.init(source: room.map { .room($0) } ?? (sharedMemory ? .segments : .heap))
    }

    init(source: Source) { self.source = source }

    /// A frame of `count` bytes written in place by `initializer`. A segment that cannot be had (a full
    /// `/dev/shm`) falls back to the heap: the frame then travels in the message, slower but whole.
    public func make(
        count: Int, initializingWith initializer: (UnsafeMutableRawBufferPointer) throws -> Void
    ) rethrows -> Frame {
        if count >= SharedMemorySegment.minimumBytes {
            switch source {
            case .heap:
                break
            case .room(let room) where count <= room.count:
                let bytes = UnsafeMutableRawBufferPointer(rebasing: room.bytes[..<count])
                try initializer(bytes)
                return Frame(borrowing: bytes.baseAddress, count: count, owner: room)
            case .room, .segments:
                if let segment = try? SharedMemorySegment.create(count: count) {
                    try initializer(segment.bytes)
                    return segment.frame
                }
            case .pool(let pool):
                if let lease = try? pool.lease(count: count) {
                    try initializer(lease.segment.bytes)
                    return lease.frame
                }
            }
        }
        return try Frame(unsafeUninitializedCapacity: count, initializingWith: initializer)
    }
}

extension BulkFrames: Equatable {
    public static func == (lhs: BulkFrames, rhs: BulkFrames) -> Bool {
        switch (lhs.source, rhs.source) {
        case (.heap, .heap), (.segments, .segments): true
        case (.pool(let a), .pool(let b)): a === b
        case (.room(let a), .room(let b)): a === b
        default: false
        }
    }
}

/// The segments a worker has mapped, by name and mode, so that a segment the coordinator reuses (the pool's
/// parameters every other step, a recycled output room) is opened and its pages mapped once, not every step.
/// A few only: those whose files are gone are dropped first, then the least recently used.
public final class SharedMemoryMappings: Sendable {
    private struct Key: Hashable {
        var name: String
        var writable: Bool
    }

    private let entries = Mutex<[(key: Key, segment: SharedMemorySegment)]>([])
    public let capacity: Int

    public init(capacity: Int = 8) { self.capacity = capacity }

    /// The segment `reference` names, mapped read-only or writable; the sender keeps the file.
    public func segment(_ reference: SharedMemoryReference, writable: Bool) throws -> SharedMemorySegment {
        let key = Key(name: reference.name, writable: writable)
        if let hit = entries.withLock({ entries -> SharedMemorySegment? in
            guard let index = entries.firstIndex(where: { $0.key == key }) else { return nil }
            let entry = entries.remove(at: index)
            entries.append(entry)
            return entry.segment
        }), hit.count == reference.count {
            return hit
        }
        let segment = try SharedMemorySegment.open(reference, takeFile: false, writable: writable)
        let evicted = entries.withLock { entries -> [SharedMemorySegment] in
            var evicted: [SharedMemorySegment] = []
            entries.removeAll { entry in
                let gone = entry.key == key || !SharedMemorySegment.fileExists(entry.key.name)
                if gone { evicted.append(entry.segment) }
                return gone
            }
            entries.append((key, segment))
            while entries.count > capacity { evicted.append(entries.removeFirst().segment) }
            return evicted
        }
        _ = evicted  // unmapped here, outside the lock
        return segment
    }

    public var count: Int { entries.withLock { $0.count } }
}

/// How a coordinator learns that a worker maps the same shared memory: the worker writes 16 random bytes into a
/// segment of its own and names it in HELLO; a coordinator that finds those bytes under that name shares
/// memory with it (and says so in WELCOME). Same host, same user, same pid namespace — nothing is assumed
/// from addresses or host names.
public struct SharedMemoryProbe: Sendable, Equatable {
    /// The segment's name; empty when the worker offers no shared memory.
    public var name: String
    public var nonce: [UInt8]

    public init(name: String, nonce: [UInt8]) {
        self.name = name
        self.nonce = nonce
    }

    public static let none = SharedMemoryProbe(name: "", nonce: [UInt8](repeating: 0, count: 16))

    /// A probe and the segment behind it, which the worker keeps until WELCOME comes back.
    public static func make() throws(SharedMemoryError) -> (SharedMemoryProbe, SharedMemorySegment) {
        let segment = try SharedMemorySegment.create(count: 16)
        var generator = SystemRandomNumberGenerator()
        let nonce = (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        segment.bytes.copyBytes(from: nonce)
        return (SharedMemoryProbe(name: segment.name, nonce: nonce), segment)
    }

    /// The prefix of the prober's segment names, if this process sees the probe's bytes under its name and the
    /// name is one process `pid` made: `shoal-<its pid namespace>-<pid>-`. The namespace may be another than
    /// this process's (containers sharing one `/dev/shm`): names are only ever compared with the prefix, and
    /// orphans are only swept within one's own namespace. Removes the probe's file when it matches (the worker
    /// removes it too once WELCOME comes, should this side not have).
    public func verify(madeBy pid: UInt32) -> String? {
        let parts = name.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0] == "shoal", !parts[1].isEmpty, parts[1].allSatisfy(\.isNumber), parts[2] == "\(pid)"
        else { return nil }
        let prefix = "shoal-\(parts[1])-\(pid)-"
        guard let segment = try? SharedMemorySegment.open(
                SharedMemoryReference(name: name, count: 16), prefix: prefix, takeFile: false),
              segment.bytes.elementsEqual(nonce)
        else { return nil }
        SharedMemorySegment.removeFile(named: name)
        return prefix
    }}
