import CZeroMQ

/// A reusable libzmq message (`zmq_msg_t`) for hot loops: receiving into it and sending it allocate nothing.
///
/// `Socket.receive(dontWait:)` returns `Sendable` frames, which costs an array and an object per frame; at hundreds
/// of thousands of small messages a second that is most of the module's cost over raw libzmq (bench/foundation.sh:
/// 16-byte round trips through `[Frame]` run ~20–30% below raw libzmq, through `Message` level with it).
/// A `Message` is what a C program's `zmq_msg_t` is: receive into it, look at the bytes in place, send it on
/// (libzmq takes the content, so a received frame is forwarded without a copy), repeat.
///
/// Not `Sendable`: like `Socket`, a message belongs to the thread that uses it. Turn it into a `Frame` with
/// `frame()` to hand the bytes to other threads.
public final class Message {
    /// Allocated once, so libzmq may keep small contents inside it (zmq_msg_data points into the struct).
    let pointer: UnsafeMutablePointer<zmq_msg_t>

    /// An empty message.
    public init() {
        pointer = .allocate(capacity: 1)
        zmq_msg_init(pointer)
    }

    /// A message holding a copy of `bytes`.
    public convenience init(copying bytes: UnsafeRawBufferPointer) {
        self.init()
        set(copying: bytes)
    }

    deinit {
        zmq_msg_close(pointer)
        pointer.deallocate()
    }

    /// The number of bytes.
    public var count: Int { zmq_msg_size(pointer) }

    /// After a receive: whether further frames of the same multipart message follow.
    public var hasMore: Bool { zmq_msg_more(pointer) != 0 }

    /// Calls `body` with the bytes in place. The pointer is valid only inside `body` and until the next receive.
    public func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try body(UnsafeRawBufferPointer(start: zmq_msg_data(pointer), count: zmq_msg_size(pointer)))
    }

    /// Replaces the content with a copy of `bytes`.
    public func set(copying bytes: UnsafeRawBufferPointer) {
        zmq_msg_close(pointer)
        // zmq_msg_init_size fails only when malloc does, which Swift treats as fatal everywhere else too.
        precondition(zmq_msg_init_size(pointer, bytes.count) == 0, "zmq_msg_init_size: out of memory")
        if let base = bytes.baseAddress, bytes.count > 0 {
            zmq_msg_data(pointer).copyMemory(from: base, byteCount: bytes.count)
        }
    }

    /// Moves the content into a new `Frame` without copying the bytes; the message is left empty.
    public func frame() -> Frame {
        let storage = FrameStorage.emptyMessage()
        zmq_msg_move(storage.message, pointer)
        storage.received()
        return Frame(storage: storage)
    }
}
