import CZeroMQ

/// One part of a multipart message: an immutable run of bytes that is cheap to copy and safe to share.
///
/// A received frame keeps libzmq's `zmq_msg_t` and exposes its bytes in place, so receiving copies nothing
/// beyond what libzmq itself did. A frame built with `init(unsafeUninitializedCapacity:)` owns a Swift buffer
/// that is handed to libzmq without a copy when sent (`zmq_msg_init_data` with a release callback). Small
/// frames are copied on send instead: a copy of a few hundred bytes is cheaper than the callback.
public struct Frame: Sendable {
    // `nonisolated(unsafe)`: `FrameStorage` is safe to share (see its comment) but cannot say so itself, because
    // `ManagedBuffer` marks Sendable unavailable for all its subclasses.
    nonisolated(unsafe) let storage: FrameStorage

    /// The number of bytes.
    public var count: Int { storage.count }
    /// Whether the frame has no bytes.
    public var isEmpty: Bool { storage.count == 0 }

    init(storage: FrameStorage) { self.storage = storage }

    /// A frame holding a copy of `bytes`.
    public init(_ bytes: some Collection<UInt8>) {
        let count = bytes.count
        self.init(unsafeUninitializedCapacity: count) { buffer in
            UnsafeMutableRawBufferPointer(buffer).copyBytes(from: bytes)
        }
    }

    /// A frame holding the UTF-8 bytes of `string`.
    public init(_ string: String) {
        var string = string
        self = string.withUTF8 { Frame(copying: UnsafeRawBufferPointer($0)) }
    }

    /// A frame holding a copy of the bytes at `bytes`.
    public init(copying bytes: UnsafeRawBufferPointer) {
        self.init(unsafeUninitializedCapacity: bytes.count) { buffer in
            if let base = bytes.baseAddress, bytes.count > 0 {
                buffer.baseAddress!.copyMemory(from: base, byteCount: bytes.count)
            }
        }
    }

    /// A frame of `count` bytes written in place by `initializer`, then sent without a further copy.
    ///
    /// This is the path for bulk payloads: fill a gradient or a row batch straight into the frame.
    /// The buffer is 64-byte aligned, so it may be bound to any numeric type.
    public init(
        unsafeUninitializedCapacity count: Int,
        initializingWith initializer: (UnsafeMutableRawBufferPointer) throws -> Void
    ) rethrows {
        precondition(count >= 0, "a frame cannot have a negative size")
        let storage = FrameStorage.owned(count: count)
        // If `initializer` throws, the storage is released with the bytes it holds.
        let bytes = UnsafeMutableRawPointer(mutating: storage.bytes)
        try initializer(UnsafeMutableRawBufferPointer(start: bytes, count: count))
        self.storage = storage
    }

    /// A frame over `count` bytes at `bytes` that `owner` keeps valid and unchanged while it lives (a mapping of
    /// shared memory): nothing is copied. The frame holds `owner`, and a sent frame holds it until libzmq has
    /// written the bytes out.
    public init(borrowing bytes: UnsafeRawPointer?, count: Int, owner: any AnyObject & Sendable) {
        precondition(count >= 0 && (bytes != nil || count == 0), "a borrowed frame needs its bytes")
        storage = FrameStorage.borrowed(bytes: bytes, count: count, owner: owner)
    }

    /// What keeps a borrowed frame's bytes valid (`init(borrowing:count:owner:)`); `nil` for other frames.
    public var owner: (any AnyObject & Sendable)? {
        storage.withUnsafeMutablePointerToHeader { $0.pointee.owner }
    }

    /// A frame holding `values` as little-endian IEEE-754 binary32: Shoal's tensor encoding.
    public init(floats values: [Float]) {
        self.init(unsafeUninitializedCapacity: values.count * MemoryLayout<Float>.stride) { buffer in
            values.withUnsafeBytes { buffer.copyMemory(from: $0) }
            #if _endian(big)
            let floats = buffer.bindMemory(to: UInt32.self)
            for index in floats.indices { floats[index] = floats[index].littleEndian }
            #endif
        }
    }

    /// Calls `body` with the frame's bytes in place. The pointer is valid only inside `body`.
    public func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try withExtendedLifetime(storage) {
            try body(UnsafeRawBufferPointer(start: storage.bytes, count: storage.count))
        }
    }

    /// A copy of the bytes as an array.
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    /// The bytes decoded as UTF-8, or `nil` when they are not valid UTF-8.
    public var utf8String: String? {
        withUnsafeBytes { String(validating: $0.bindMemory(to: UInt8.self), as: UTF8.self) }
    }

    /// Calls `body` with the frame's bytes viewed as little-endian `Float`s, in place when the host is
    /// little-endian and the bytes are 4-byte aligned, else through one temporary copy.
    /// - Returns: `nil` when the byte count is not a multiple of four.
    public func withUnsafeFloats<Result>(_ body: (UnsafeBufferPointer<Float>) throws -> Result) rethrows -> Result? {
        guard count % MemoryLayout<Float>.stride == 0 else { return nil }
        return try withUnsafeBytes { raw -> Result in
            #if _endian(little)
            if let base = raw.baseAddress, Int(bitPattern: base) % MemoryLayout<Float>.alignment == 0 {
                return try raw.withMemoryRebound(to: Float.self, body)
            }
            #endif
            return try floats!.withUnsafeBufferPointer(body)
        }
    }

    /// A copy of the bytes decoded as little-endian `Float`s, or `nil` when the count is not a multiple of four.
    public var floats: [Float]? {
        guard count % MemoryLayout<Float>.stride == 0 else { return nil }
        return withUnsafeBytes { raw in
            [Float](unsafeUninitializedCapacity: raw.count / 4) { buffer, initialized in
                for index in 0..<(raw.count / 4) {
                    let bits = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self))
                    buffer[index] = Float(bitPattern: bits)
                }
                initialized = raw.count / 4
            }
        }
    }
}

extension Frame: Equatable {
    public static func == (lhs: Frame, rhs: Frame) -> Bool {
        // One frame shared (a job's tasks share their spec's): equal without a look at the bytes.
        if lhs.storage === rhs.storage { return true }
        return lhs.count == rhs.count && lhs.withUnsafeBytes { a in rhs.withUnsafeBytes { b in a.elementsEqual(b) } }
    }
}

extension Frame: CustomStringConvertible {
    public var description: String {
        let shown = withUnsafeBytes { $0.prefix(16).map { String($0, radix: 16).leftPadded(to: 2) }.joined() }
        return "Frame(\(count) bytes: \(shown)\(count > 16 ? "…" : ""))"
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

/// The bytes behind a `Frame`, in one allocation with the object: a buffer Swift fills, or a received `zmq_msg_t`.
///
/// Tail allocation (`ManagedBuffer`) keeps a frame at one `malloc`. A separately allocated buffer or `zmq_msg_t`
/// doubled the allocations of every received frame; on bench/foundation.sh's 16-byte round trips through
/// `[Frame]`, one allocation instead of two per frame (and one array instead of a growing one) gave ~10% more
/// round trips per second. The tail never moves while the object lives, so `bytes` (which for a small received
/// message points inside the `zmq_msg_t` itself) stays valid as long as the frame.
///
/// Safe to share between threads (`Frame` holds it `nonisolated(unsafe)`): the bytes are never written after the
/// frame is built, and the only mutation, closing the message, happens once in `deinit`, after the last reference
/// on any thread is gone. A `zmq_msg_t` is not tied to a socket or a thread, so closing it on another thread is
/// allowed.
final class FrameStorage: ManagedBuffer<FrameStorageHeader, UInt64> {
    /// The first byte; `nil` for an empty received message.
    var bytes: UnsafeRawPointer? { withUnsafeMutablePointerToHeader { $0.pointee.bytes } }
    /// The number of bytes.
    var count: Int { withUnsafeMutablePointerToHeader { $0.pointee.count } }

    /// Room for `count` bytes at a 64-byte boundary, for the caller to fill before the frame is shared.
    static func owned(count: Int) -> FrameStorage {
        let words = (count + 63) / 8 + 1
        let storage = unsafeDowncast(
            create(minimumCapacity: words) { _ in FrameStorageHeader(bytes: nil, count: count, holdsMessage: false, owner: nil) },
            to: FrameStorage.self)
        storage.withUnsafeMutablePointers { header, elements in
            header.pointee.bytes = UnsafeRawPointer(UnsafeMutableRawPointer(elements).alignedUp(toMultipleOf: 64))
        }
        return storage
    }

    /// Bytes elsewhere, kept valid by `owner`; the tail is empty.
    static func borrowed(bytes: UnsafeRawPointer?, count: Int, owner: any AnyObject & Sendable) -> FrameStorage {
        unsafeDowncast(
            create(minimumCapacity: 0) { _ in
                FrameStorageHeader(bytes: count == 0 ? nil : bytes, count: count, holdsMessage: false, owner: owner)
            },
            to: FrameStorage.self)
    }

    /// An initialised, empty `zmq_msg_t` to receive into; call `received()` once it holds a message.
    static func emptyMessage() -> FrameStorage {
        let words = (MemoryLayout<zmq_msg_t>.size + 7) / 8
        let storage = unsafeDowncast(
            create(minimumCapacity: words) { _ in FrameStorageHeader(bytes: nil, count: 0, holdsMessage: true, owner: nil) },
            to: FrameStorage.self)
        zmq_msg_init(storage.message)
        return storage
    }

    /// The `zmq_msg_t` in the tail; only for storage made by `emptyMessage()`.
    var message: UnsafeMutablePointer<zmq_msg_t> {
        withUnsafeMutablePointerToElements { UnsafeMutableRawPointer($0).assumingMemoryBound(to: zmq_msg_t.self) }
    }

    /// Records where the received message's bytes are, before the frame is shared.
    func received() {
        let count = zmq_msg_size(message)
        let bytes = count == 0 ? nil : UnsafeRawPointer(zmq_msg_data(message))
        // Through the pointer: `header` is a class property, and each access to it would pay a runtime
        // exclusivity check. Nothing else can touch this storage yet.
        withUnsafeMutablePointerToHeader { header in
            header.pointee.count = count
            header.pointee.bytes = bytes
        }
    }

    deinit {
        if withUnsafeMutablePointerToHeader({ $0.pointee.holdsMessage }) { zmq_msg_close(message) }
    }
}

/// What `FrameStorage` keeps in front of its tail.
struct FrameStorageHeader {
    var bytes: UnsafeRawPointer?
    var count: Int
    /// Whether the tail is a `zmq_msg_t` to close, rather than plain bytes.
    let holdsMessage: Bool
    /// What keeps borrowed bytes valid (`Frame.init(borrowing:count:owner:)`), released with the frame.
    let owner: (any AnyObject & Sendable)?
}

extension Frame {
    // MARK: Connection metadata of received frames

    /// A metadata property of the connection a received frame came in on (`zmq_msg_gets`): "User-Id" (what
    /// the ZAP handler answered for the peer), "Peer-Address", "Socket-Type", "Routing-Id". `nil` for a
    /// frame built locally, or a property the connection does not have.
    public func connectionProperty(_ name: String) -> String? {
        guard storage.withUnsafeMutablePointerToHeader({ $0.pointee.holdsMessage }) else { return nil }
        guard let value = zmq_msg_gets(storage.message, name) else { return nil }
        return String(cString: value)
    }

    /// The file descriptor of the connection a received frame came in on (`ZMQ_SRCFD`), or `nil` for a frame
    /// built locally or one that came over a transport without descriptors (inproc).
    public var sourceDescriptor: Int32? {
        guard storage.withUnsafeMutablePointerToHeader({ $0.pointee.holdsMessage }) else { return nil }
        let fd = zmq_msg_get(storage.message, ZMQ_SRCFD)
        return fd >= 0 ? fd : nil
    }
}
