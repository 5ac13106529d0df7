#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A plain TCP connect with a deadline, before any ZeroMQ: it tells "refused", "unreachable" and "timed out"
/// apart, which libzmq's monitor cannot (it only reports that a connect will be retried).
enum TCPProbe {
    enum Outcome: Sendable, Equatable {
        case connected(address: String)
        case unresolved(reason: String)
        case refused(address: String)
        case unreachable(address: String, reason: String)
        case timedOut(address: String)
    }

    static func connect(host: String, port: UInt16, timeoutMs: Int32) -> Outcome {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            return .unresolved(reason: String(cString: gai_strerror(status)))
        }
        defer { freeaddrinfo(list) }
        // Try the first address only: that is the one libzmq uses too.
        let info = first.pointee
        let address = numericHost(info.ai_addr, info.ai_addrlen)
        let fd = socket(info.ai_family, info.ai_socktype, info.ai_protocol)
        guard fd >= 0 else { return .unreachable(address: address, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        if Glibc.connect(fd, info.ai_addr, info.ai_addrlen) == 0 { return .connected(address: address) }
        guard errno == EINPROGRESS else { return classify(errno, address: address) }
        var waiter = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        var ready: Int32
        repeat { ready = poll(&waiter, 1, timeoutMs) } while ready < 0 && errno == EINTR
        guard ready > 0 else { return .timedOut(address: address) }
        var failure: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &failure, &length)
        return failure == 0 ? .connected(address: address) : classify(failure, address: address)
    }

    private static func classify(_ code: Int32, address: String) -> Outcome {
        switch code {
        case ECONNREFUSED: .refused(address: address)
        case ETIMEDOUT: .timedOut(address: address)
        default: .unreachable(address: address, reason: String(cString: strerror(code)))
        }
    }

    private static func numericHost(_ address: UnsafeMutablePointer<sockaddr>?, _ length: socklen_t) -> String {
        var text = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        guard let address, getnameinfo(address, length, &text, socklen_t(text.count), nil, 0, NI_NUMERICHOST) == 0
        else { return "?" }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
