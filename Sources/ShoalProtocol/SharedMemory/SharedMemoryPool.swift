import Synchronization
import ZeroMQ

/// A frame whose bytes are in a shared-memory segment: what `FramePlacement` sends by reference.
public protocol SharedMemoryBacked: AnyObject, Sendable {
    var segment: SharedMemorySegment { get }
    /// The segment is lent to a worker to write one output into (`FramePlacement.outputRoom`).
    var isOutputRoom: Bool { get }
}

extension SharedMemorySegment: SharedMemoryBacked {
    public var segment: SharedMemorySegment { self }
    public var isOutputRoom: Bool { false }
}

/// Segments kept for reuse. On a VM a fresh 16 MiB of shared memory costs ~7 ms in page faults and zeroing
/// before a byte is written (~1.3 ms to write it once mapped): a training step that made its parameters'
/// segment and its gradients' afresh spent more on that than the socket it replaced. A pool keeps the pages
/// mapped; a step's segments are those of the step before last.
public final class SharedMemoryPool: Sendable {
    private let free: Mutex<[SharedMemorySegment]>
    /// The most bytes kept free; segments beyond go.
    public let capacityBytes: Int

    public init(capacityBytes: Int = 1 << 30) {
        self.capacityBytes = capacityBytes
        free = Mutex([])
    }

    /// A segment of exactly `count` bytes, reused when one is free, leased until the lease goes.
    /// - Parameter outputRoom: lent to a worker to write into; returns to the pool only if `recycle()` says
    ///   the worker is done with it (otherwise a worker presumed dead could still write into its next user).
    public func lease(count: Int, outputRoom: Bool = false) throws(SharedMemoryError) -> SharedMemoryLease {
        let reused = free.withLock { segments -> SharedMemorySegment? in
            guard let index = segments.firstIndex(where: { $0.count == count }) else { return nil }
            return segments.remove(at: index)
        }
        let segment: SharedMemorySegment
        if let reused { segment = reused } else { segment = try SharedMemorySegment.create(count: count) }
        return SharedMemoryLease(segment: segment, pool: self, outputRoom: outputRoom)
    }

    /// Lets every free segment go (removed and unmapped): an idle coordinator holds no shared memory. Leased
    /// ones return (or go) when their leases do.
    public func drain() {
        let segments = free.withLock { segments in
            defer { segments.removeAll() }
            return segments
        }
        _ = segments
    }

    /// Bytes held free now.
    public var freeBytes: Int { free.withLock { $0.reduce(0) { $0 + $1.count } } }

    fileprivate func giveBack(_ segment: SharedMemorySegment) {
        // Dropped (removed and unmapped) outside the lock, when over capacity.
        let dropped: [SharedMemorySegment] = free.withLock { segments in
            segments.append(segment)
            var total = segments.reduce(0) { $0 + $1.count }
            var dropped: [SharedMemorySegment] = []
            while total > capacityBytes, !segments.isEmpty {
                let oldest = segments.removeFirst()
                total -= oldest.count
                dropped.append(oldest)
            }
            return dropped
        }
        _ = dropped
    }
}

/// A pooled segment in use: frames over it keep the lease, and the segment goes back to its pool when the last
/// one goes (an output room only once `recycle()` was called).
public final class SharedMemoryLease: SharedMemoryBacked {
    public let segment: SharedMemorySegment
    public let isOutputRoom: Bool
    private let pool: SharedMemoryPool
    private let recyclable: Atomic<Bool>

    init(segment: SharedMemorySegment, pool: SharedMemoryPool, outputRoom: Bool) {
        self.segment = segment
        self.pool = pool
        isOutputRoom = outputRoom
        recyclable = Atomic(!outputRoom)
    }

    deinit {
        if recyclable.load(ordering: .acquiring) { pool.giveBack(segment) }
    }

    /// A frame over the whole segment, in place.
    public var frame: Frame { Frame(borrowing: segment.base, count: segment.count, owner: self) }

    /// A frame over the first `count` bytes (an output a worker wrote into its room).
    public func frame(count: Int) -> Frame {
        precondition(count <= segment.count, "\(count) bytes in a \(segment.count)-byte segment")
        return Frame(borrowing: segment.base, count: count, owner: self)
    }

    /// An output room's writer is done with it: it may serve another attempt once its frames go.
    public func recycle() { recyclable.store(true, ordering: .releasing) }
}

/// A planner's request that each attempt of a task be lent an output room of `bytes` bytes in shared memory
/// when its worker shares the coordinator's (a training step's gradient, written there in place): an
/// attachment of no bytes that the coordinator replaces per attempt with a room, or drops.
public final class OutputRoomRequest: Sendable {
    public let bytes: Int

    public init(bytes: Int) { self.bytes = bytes }

    /// The request as an attachment.
    public var frame: Frame { Frame(borrowing: nil, count: 0, owner: self) }

    /// The request `frame` carries, if it is one.
    public static func of(_ frame: Frame) -> OutputRoomRequest? { frame.owner as? OutputRoomRequest }
}
