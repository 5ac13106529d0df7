import CZeroMQ

extension Socket {
    /// Frames up to this size are copied into libzmq on send; larger ones are handed over without a copy.
    /// Below it the release callback and its retain cost more than the memcpy.
    static let zeroCopyThreshold = 1024

    /// Sends `frames` as one multipart message.
    /// - Parameter dontWait: return `false` instead of blocking when the message cannot be queued now
    ///   (high-water mark reached, or no peer yet on a socket type that waits for one).
    /// - Returns: `true` when the message was queued; `false` only with `dontWait` and EAGAIN.
    /// - Throws: `ZMQError` for anything but EAGAIN (EHOSTUNREACH on a mandatory ROUTER, ETERM, …).
    @discardableResult
    public func send(_ frames: [Frame], dontWait: Bool = false) throws(ZMQError) -> Bool {
        precondition(!frames.isEmpty, "a ZeroMQ message has at least one frame")
        let last = frames.count - 1
        for (index, frame) in frames.enumerated() {
            var flags: Int32 = index < last ? ZMQ_SNDMORE : 0
            // libzmq accepts or refuses a multipart message as a whole at its first frame, so EAGAIN can only
            // come there; later frames never block.
            if dontWait && index == 0 { flags |= ZMQ_DONTWAIT }
            do {
                try send(frame, flags: flags)
            } catch where error.isWouldBlock && index == 0 && dontWait {
                return false
            }
        }
        return true
    }

    /// Sends one frame; `more` marks that further frames of the same message follow.
    @discardableResult
    public func send(_ frame: Frame, more: Bool = false, dontWait: Bool = false) throws(ZMQError) -> Bool {
        do {
            try send(frame, flags: (more ? ZMQ_SNDMORE : 0) | (dontWait ? ZMQ_DONTWAIT : 0))
            return true
        } catch where error.isWouldBlock && dontWait {
            return false
        }
    }

    private func send(_ frame: Frame, flags: Int32) throws(ZMQError) {
        guard let handle = rawHandle else { throw ZMQError(operation: "zmq_send", code: ENOTSOCK_VALUE) }
        let storage = frame.storage
        if storage.count <= Socket.zeroCopyThreshold {
            _ = try retryingEINTR("zmq_send") { zmq_send(handle, storage.bytes, storage.count, flags) }
            return
        }
        // Zero-copy: libzmq keeps a pointer to our bytes and calls `releaseFrameStorage` from its I/O thread
        // once the bytes have been written out; the retained storage keeps them alive until then.
        var message = zmq_msg_t()
        let hint = Unmanaged.passRetained(storage).toOpaque()
        guard zmq_msg_init_data(&message, UnsafeMutableRawPointer(mutating: storage.bytes), storage.count,
                                releaseFrameStorage, hint) == 0 else {
            Unmanaged<FrameStorage>.fromOpaque(hint).release()
            throw ZMQError.last("zmq_msg_init_data")
        }
        do {
            _ = try retryingEINTR("zmq_msg_send") { zmq_msg_send(&message, handle, flags) }
        } catch {
            // On failure the message still owns the data; closing it runs the release callback.
            zmq_msg_close(&message)
            throw error
        }
    }

    /// Receives one whole multipart message.
    /// - Parameter dontWait: return `nil` instead of blocking when no message is waiting.
    /// - Returns: the frames, which keep libzmq's buffers (no copy); `nil` only with `dontWait` and EAGAIN,
    ///   or when a receive timeout (`.receiveTimeout`) expired.
    /// - Throws: `ZMQError` (ETERM when the context is shut down).
    public func receive(dontWait: Bool = false) throws(ZMQError) -> [Frame]? {
        guard let handle = rawHandle else { throw ZMQError(operation: "zmq_msg_recv", code: ENOTSOCK_VALUE) }
        var frames: [Frame] = []
        while true {
            let storage = FrameStorage.emptyMessage()
            // Later frames of a message are already here (delivery is atomic), so only the first may block.
            let flags: Int32 = frames.isEmpty && dontWait ? ZMQ_DONTWAIT : 0
            do {
                _ = try retryingEINTR("zmq_msg_recv") { zmq_msg_recv(storage.message, handle, flags) }
            } catch {
                // Releasing `storage` closes its message.
                if error.isWouldBlock && frames.isEmpty { return nil }
                throw error
            }
            // Read MORE before anything else touches the message.
            let more = zmq_msg_more(storage.message) != 0
            storage.received()
            // One array allocation for the usual envelopes (routing id, delimiter, header, body) instead of growing.
            if more && frames.isEmpty { frames.reserveCapacity(4) }
            frames.append(Frame(storage: storage))
            if !more { return frames }
        }
    }
}

extension Socket {
    // MARK: Reusable messages, for hot loops

    /// Receives one frame into `message`, replacing what it held. Check `message.hasMore` for further frames.
    /// - Parameter dontWait: return `false` instead of blocking when nothing is waiting.
    /// - Returns: `true` when a frame arrived; `false` only with `dontWait` and EAGAIN, or when a receive
    ///   timeout (`.receiveTimeout`) expired.
    /// - Throws: `ZMQError` (ETERM when the context is shut down).
    @discardableResult
    public func receive(into message: Message, dontWait: Bool = false) throws(ZMQError) -> Bool {
        guard let handle = rawHandle else { throw ZMQError(operation: "zmq_msg_recv", code: ENOTSOCK_VALUE) }
        do {
            _ = try retryingEINTR("zmq_msg_recv") { zmq_msg_recv(message.pointer, handle, dontWait ? ZMQ_DONTWAIT : 0) }
            return true
        } catch where error.isWouldBlock {
            return false
        }
    }

    /// Sends `message` as one frame; `more` marks that further frames of the same message follow.
    ///
    /// libzmq takes the content without copying it and leaves `message` empty, ready for the next receive.
    /// When the send fails the content stays in `message`.
    /// - Returns: `true` when queued; `false` only with `dontWait` and EAGAIN.
    /// - Throws: `ZMQError` for anything but EAGAIN (EHOSTUNREACH on a mandatory ROUTER, ETERM, …).
    @discardableResult
    public func send(_ message: Message, more: Bool = false, dontWait: Bool = false) throws(ZMQError) -> Bool {
        guard let handle = rawHandle else { throw ZMQError(operation: "zmq_msg_send", code: ENOTSOCK_VALUE) }
        let flags = (more ? ZMQ_SNDMORE : 0) | (dontWait ? ZMQ_DONTWAIT : 0)
        do {
            _ = try retryingEINTR("zmq_msg_send") { zmq_msg_send(message.pointer, handle, flags) }
            return true
        } catch where error.isWouldBlock && dontWait {
            return false
        }
    }
}

/// libzmq's release callback for zero-copy frames: drops the retain taken in `send`.
private func releaseFrameStorage(_ data: UnsafeMutableRawPointer?, _ hint: UnsafeMutableRawPointer?) {
    guard let hint else { return }
    Unmanaged<FrameStorage>.fromOpaque(hint).release()
}
