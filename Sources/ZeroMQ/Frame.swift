import CZeroMQ

/// One part of a multipart message: an immutable run of bytes that is cheap to copy and safe to share.
///
/// A received frame keeps libzmq's `zmq_msg_t` and exposes its bytes in place, so receiving copies nothing
/// beyond what libzmq itself did. A frame built with `init(unsafeUninitializedCapacity:)` owns a Swift buffer
/// that is handed to libzmq without a copy when sent (`zmq_msg_init_data` with a release callback). Small
/// frames are copied on send instead: a copy of a few hundred bytes is cheaper than the callback.
public struct Frame: Sendable {
    let storage: FrameStorage

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
        let pointer = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1), alignment: 64)
        do {
            try initializer(UnsafeMutableRawBufferPointer(start: pointer, count: count))
        } catch {
            pointer.deallocate()
            throw error
        }
        storage = FrameStorage(owned: pointer, count: count)
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
        lhs.count == rhs.count && lhs.withUnsafeBytes { a in rhs.withUnsafeBytes { b in a.elementsEqual(b) } }
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

/// The bytes behind a `Frame`: either a received `zmq_msg_t` or a buffer Swift allocated.
///
/// `@unchecked Sendable`: the bytes are never written after `init`, and the only mutation, releasing the
/// buffer or closing the message, happens once in `deinit`, after the last reference on any thread is gone.
/// A `zmq_msg_t` is not tied to a socket or a thread, so closing it on another thread is allowed.
final class FrameStorage: @unchecked Sendable {
    private enum Backing {
        case owned(UnsafeMutableRawPointer)
        case message(UnsafeMutablePointer<zmq_msg_t>)
    }

    private let backing: Backing
    let bytes: UnsafeRawPointer?
    let count: Int

    init(owned pointer: UnsafeMutableRawPointer, count: Int) {
        backing = .owned(pointer)
        bytes = UnsafeRawPointer(pointer)
        self.count = count
    }

    /// Takes ownership of an initialised message; `deinit` closes it.
    init(message: UnsafeMutablePointer<zmq_msg_t>) {
        backing = .message(message)
        count = zmq_msg_size(message)
        bytes = count == 0 ? nil : UnsafeRawPointer(zmq_msg_data(message))
    }

    deinit {
        switch backing {
        case .owned(let pointer):
            pointer.deallocate()
        case .message(let message):
            zmq_msg_close(message)
            message.deallocate()
        }
    }
}
