/// A ZeroMQ endpoint a user wrote, checked before any socket sees it: `tcp://HOST:PORT`, `ipc://PATH` or
/// `inproc://NAME`.
public struct Endpoint: Sendable, Hashable, CustomStringConvertible {
    public enum Transport: String, Sendable {
        case tcp, ipc, inproc
    }

    public let transport: Transport
    /// TCP: the host name or address without brackets (`*` for all interfaces); ipc/inproc: the path or name.
    public let host: String
    /// TCP only: the port; 0 or `nil` (`*`) asks the system for a free one when binding.
    public let port: UInt16?

    /// Parses `text`.
    /// - Throws: `EndpointError` saying what is wrong and what was expected.
    public init(_ text: String) throws(EndpointError) {
        guard let schemeEnd = text.range(of: "://") else {
            throw EndpointError(text: text, reason: "expected tcp://HOST:PORT, ipc://PATH or inproc://NAME")
        }
        let scheme = String(text[..<schemeEnd.lowerBound])
        let rest = String(text[schemeEnd.upperBound...])
        guard let transport = Transport(rawValue: scheme) else {
            throw EndpointError(text: text, reason: "unknown transport '\(scheme)'; use tcp, ipc or inproc")
        }
        self.transport = transport
        switch transport {
        case .ipc, .inproc:
            guard !rest.isEmpty else { throw EndpointError(text: text, reason: "the \(scheme) name is empty") }
            host = rest
            port = nil
        case .tcp:
            guard let colon = rest.lastIndex(of: ":") else {
                throw EndpointError(text: text, reason: "missing ':PORT' (expected tcp://HOST:PORT)")
            }
            var host = String(rest[..<colon])
            let portText = String(rest[rest.index(after: colon)...])
            if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            guard !host.isEmpty else { throw EndpointError(text: text, reason: "the host is empty") }
            if portText == "*" {
                port = nil
            } else if let number = UInt16(portText) {
                port = number
            } else {
                throw EndpointError(text: text, reason: "'\(portText)' is not a port number (0–65535 or *)")
            }
            self.host = host
        }
    }

    /// Whether the host is a loopback address (127.0.0.0/8, ::1, localhost), where no encryption is needed.
    public var isLoopback: Bool {
        guard transport == .tcp else { return true }
        return host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    public var description: String {
        switch transport {
        case .ipc, .inproc: return "\(transport.rawValue)://\(host)"
        case .tcp:
            let shownHost = host.contains(":") ? "[\(host)]" : host
            return "tcp://\(shownHost):\(port.map(String.init) ?? "*")"
        }
    }
}

/// An endpoint that does not parse, with the reason.
public struct EndpointError: Error, Sendable, Equatable, CustomStringConvertible {
    public let text: String
    public let reason: String
    public var description: String { "'\(text)' is not a valid endpoint: \(reason)" }
}
