import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A TCP connection that speaks ZMTP 3.0 by hand (NULL mechanism, as a DEALER), for what a well-behaved libzmq
/// peer never sends: a frame header announcing more bytes than the receiver's `ZMQ_MAXMSGSIZE`, without having
/// to hold those bytes in memory. RFC 23 (ZMTP 3.0) is the reference for every byte written here.
///
/// Blocking POSIX calls with `SO_RCVTIMEO`/`SO_SNDTIMEO` deadlines: use it only inside `onOwnThread`.
final class RawZMTPConnection {
    enum Failure: Error, CustomStringConvertible {
        case system(String, Int32)
        case closedByPeer
        case timedOut(String)
        case protocolViolation(String)

        var description: String {
            switch self {
            case .system(let call, let code): "\(call): \(String(cString: strerror(code)))"
            case .closedByPeer: "the peer closed the connection"
            case .timedOut(let what): "timed out \(what)"
            case .protocolViolation(let what): "unexpected ZMTP from the peer: \(what)"
            }
        }
    }

    private let fd: Int32
    /// A peer that hung up must give EPIPE on send, not kill the test process with SIGPIPE.
    #if os(Linux)
    private static let noSignal = Int32(MSG_NOSIGNAL)
    #else
    private static let noSignal: Int32 = 0
    #endif

    /// Connects to `127.0.0.1:port`; every later read and write gives up after `timeoutMs`.
    init(port: UInt16, timeoutMs: Int) throws {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw Failure.system("socket", errno) }
        self.fd = fd
        var timeout = timeval()
        timeout.tv_sec = timeoutMs / 1000
        timeout.tv_usec = .init((timeoutMs % 1000) * 1000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw Failure.system("connect", errno) }
    }

    deinit { close(fd) }

    /// The greeting and READY of a ZMTP 3.0 DEALER with the NULL mechanism; reads the peer's greeting and READY.
    func handshake() throws {
        var greeting = [UInt8](repeating: 0, count: 64)
        greeting[0] = 0xFF  // signature: %xFF, 8 bytes of padding, %x7F
        greeting[9] = 0x7F
        greeting[10] = 3  // version 3.0
        greeting[11] = 0
        for (index, byte) in "NULL".utf8.enumerated() { greeting[12 + index] = byte }  // mechanism, 20 bytes
        greeting[32] = 0  // as-server: no
        try writeBytes(greeting)
        let theirs = try readBytes(64)
        guard theirs[0] == 0xFF, theirs[9] == 0x7F, theirs[10] >= 3 else {
            throw Failure.protocolViolation("greeting \(theirs.prefix(12))")
        }
        var ready: [UInt8] = [5] + Array("READY".utf8)
        ready += property("Socket-Type", "DEALER")
        ready += property("Identity", "")
        try writeBytes([0x04, UInt8(ready.count)] + ready)  // a short command frame
        let (flags, body) = try readFrame()
        guard flags & 0x04 != 0, body.starts(with: [5] + Array("READY".utf8)) else {
            throw Failure.protocolViolation("expected READY, got flags \(flags) body \(body.prefix(16))")
        }
    }

    /// Sends one multipart message.
    func sendMessage(_ frames: [[UInt8]]) throws {
        for (index, frame) in frames.enumerated() {
            let more: UInt8 = index < frames.count - 1 ? 0x01 : 0
            try writeFrameHeader(size: UInt64(frame.count), more: more != 0)
            try writeBytes(frame)
        }
    }

    /// Writes only the header of a frame of `size` bytes: what a receiver sees before any of those bytes.
    func writeFrameHeader(size: UInt64, more: Bool) throws {
        let more: UInt8 = more ? 0x01 : 0
        if size <= 255 {
            try writeBytes([more, UInt8(size)])
        } else {
            try writeBytes([more | 0x02] + withUnsafeBytes(of: size.bigEndian) { Array($0) })
        }
    }

    /// Receives one multipart message, skipping commands.
    func receiveMessage() throws -> [[UInt8]] {
        var frames: [[UInt8]] = []
        while true {
            let (flags, body) = try readFrame()
            if flags & 0x04 != 0 { continue }
            frames.append(body)
            if flags & 0x01 == 0 { return frames }
        }
    }

    /// Reads until the peer closes the connection (`true`) or nothing has come for the timeout (`false`).
    func peerCloses() throws -> Bool {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count == 0 { return true }
            if count > 0 { continue }
            switch errno {
            case EINTR: continue
            case ECONNRESET, EPIPE: return true
            case EAGAIN, EWOULDBLOCK: return false
            default: throw Failure.system("recv", errno)
            }
        }
    }

    // MARK: - Bytes

    private func property(_ name: String, _ value: String) -> [UInt8] {
        [UInt8(name.utf8.count)] + Array(name.utf8) + withUnsafeBytes(of: UInt32(value.utf8.count).bigEndian) { Array($0) }
            + Array(value.utf8)
    }

    private func readFrame() throws -> (flags: UInt8, body: [UInt8]) {
        let flags = try readBytes(1)[0]
        let size: UInt64
        if flags & 0x02 != 0 {
            size = try readBytes(8).reduce(0) { ($0 << 8) | UInt64($1) }
        } else {
            size = UInt64(try readBytes(1)[0])
        }
        guard size < 64 << 20 else { throw Failure.protocolViolation("a frame of \(size) bytes") }
        return (flags, try readBytes(Int(size)))
    }

    private func readBytes(_ count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let got = bytes.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + done, count - done, 0) }
            if got == 0 { throw Failure.closedByPeer }
            if got < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { throw Failure.timedOut("reading \(count) bytes") }
                if errno == ECONNRESET { throw Failure.closedByPeer }
                throw Failure.system("recv", errno)
            }
            done += got
        }
        return bytes
    }

    private func writeBytes(_ bytes: [UInt8]) throws {
        var done = 0
        while done < bytes.count {
            let sent = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + done, bytes.count - done, Self.noSignal) }
            if sent < 0 {
                if errno == EINTR { continue }
                if errno == EPIPE || errno == ECONNRESET { throw Failure.closedByPeer }
                throw Failure.system("send", errno)
            }
            done += sent
        }
    }
}

/// Runs `body` on a thread of its own and returns its result: blocking socket calls stay off the cooperative pool.
func onOwnThread<Value: Sendable>(_ body: @escaping @Sendable () throws -> Value) async throws -> Value {
    try await withCheckedThrowingContinuation { (done: CheckedContinuation<Value, Error>) in
        Thread { done.resume(with: Result { try body() }) }.start()
    }
}
