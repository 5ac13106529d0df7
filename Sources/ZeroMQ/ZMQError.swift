import CZeroMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An error reported by libzmq, with the errno read right after the failing call.
///
/// `bind` and `connect` failures also name the endpoint, so "address in use" says which address.
public struct ZMQError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The libzmq call that failed, e.g. `"zmq_bind"`.
    public let operation: String
    /// The errno value `zmq_errno()` returned right after the failing call.
    public let code: Int32
    /// `zmq_strerror(code)`.
    public let message: String
    /// The endpoint of a failing bind, connect, unbind or disconnect.
    public let endpoint: String?

    public init(operation: String, code: Int32, endpoint: String? = nil) {
        self.operation = operation
        self.code = code
        self.message = String(cString: zmq_strerror(code))
        self.endpoint = endpoint
    }

    /// Captures `zmq_errno()` now: call it immediately after the failing libzmq call.
    static func last(_ operation: String, endpoint: String? = nil) -> ZMQError {
        ZMQError(operation: operation, code: zmq_errno(), endpoint: endpoint)
    }

    /// EAGAIN: the operation would block (non-blocking send/receive, or a timeout expired).
    public var isWouldBlock: Bool { code == EAGAIN }
    /// ETERM: the context was shut down; the socket should be closed. A clean stop, not a failure.
    public var isTerminated: Bool { code == ZMQError.ETERM }
    /// EHOSTUNREACH: a ROUTER with `ZMQ_ROUTER_MANDATORY` has no peer with that routing id.
    public var isHostUnreachable: Bool { code == EHOSTUNREACH }

    // libzmq defines its own errno values above ZMQ_HAUSNUMERO; only ETERM is needed by name.
    static let ETERM: Int32 = 156_384_712 + 53

    public var description: String {
        if let endpoint {
            return "\(operation) \(endpoint): \(message) (errno \(code))"
        }
        return "\(operation): \(message) (errno \(code))"
    }
}

/// Calls `body` until it succeeds or fails with something other than EINTR.
///
/// libzmq returns -1/EINTR when a signal interrupts a blocking call; the caller never sees it.
@inline(__always)
func retryingEINTR(_ operation: String, endpoint: String? = nil, _ body: () -> Int32) throws(ZMQError) -> Int32 {
    while true {
        let rc = body()
        if rc >= 0 { return rc }
        let error = ZMQError.last(operation, endpoint: endpoint)
        if error.code == EINTR { continue }
        throw error
    }
}
