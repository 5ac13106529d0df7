import Foundation
import ShoalTestSupport
import Testing
@testable import ZeroMQ

/// The transports the round-trip tests run over. Each test gets fresh endpoints, so tests may run in parallel.
enum Transport: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case inproc, ipc, tcp

    var testDescription: String { rawValue }

    /// An endpoint to bind: a unique inproc name, a socket file in `directory`, or loopback port 0.
    func bindEndpoint(in directory: TemporaryDirectory) -> String {
        switch self {
        case .inproc: uniqueInprocEndpoint()
        case .ipc: "ipc://\(directory.path)/\(UUID().uuidString.prefix(8)).sock"
        case .tcp: "tcp://127.0.0.1:0"
        }
    }
}

/// An inproc endpoint no other test uses.
func uniqueInprocEndpoint(_ label: String = "test") -> String {
    "inproc://\(label)-\(UUID().uuidString)"
}

extension Socket {
    /// A socket with linger 0 (tests never wait for unsent messages at close) and the given receive timeout,
    /// so that every blocking receive in a test ends by a deadline.
    static func make(
        _ context: Context, _ type: SocketType, receiveTimeout milliseconds: Int32 = 5_000
    ) throws -> Socket {
        let socket = try Socket(context, type: type)
        try socket.set([.linger(milliseconds: 0), .receiveTimeout(milliseconds: milliseconds)])
        return socket
    }

    /// Binds to `endpoint` and returns the endpoint as libzmq resolved it (the real port for port 0).
    func bindResolved(_ endpoint: String) throws -> String {
        try bind(endpoint)
        return try lastEndpoint
    }
}
