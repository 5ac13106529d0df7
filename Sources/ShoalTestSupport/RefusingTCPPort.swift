import Foundation

/// A loopback TCP port that refuses connections for as long as this value lives: a socket bound to it that never
/// listens. A port freed by a stopped server can be taken by any other test running in parallel (and then it
/// answers differently); this one cannot, since it stays bound.
public final class RefusingTCPPort: @unchecked Sendable {
    private let descriptor: Int32
    public let port: UInt16

    public init() throws {
        (descriptor, port) = try Self.boundLoopbackSocket()
    }

    /// A TCP socket bound to an OS-chosen port on 127.0.0.1, not listening (a test may `listen` on it), and the port.
    public static func boundLoopbackSocket() throws -> (descriptor: Int32, port: UInt16) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard bound == 0, named == 0 else {
            let code = POSIXErrorCode(rawValue: errno) ?? .EADDRINUSE
            close(fd)
            throw POSIXError(code)
        }
        return (fd, UInt16(bigEndian: address.sin_port))
    }

    /// `tcp://127.0.0.1:PORT`.
    public var endpoint: String { "tcp://127.0.0.1:\(port)" }

    deinit { close(descriptor) }
}
