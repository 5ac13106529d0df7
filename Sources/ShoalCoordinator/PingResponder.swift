import ShoalProtocol
import ZeroMQ

/// Answers PING on a ROUTER endpoint, and refuses everything a responder of this `role` does not serve.
///
/// Pure: it maps the frames a ROUTER received to the frames to send back, so the coordinator and the
/// stand-alone ping server share it and it is tested without sockets.
public struct PingResponder: Sendable {
    /// Reported in PONG: "coordinator", "ping-server", …
    public var role: String
    /// Reported in PONG, e.g. "shoal 0.1.0 (libzmq 4.3.4)".
    public var software: String
    /// The range this responder speaks; narrowed only in tests of other builds' behaviour.
    public var versions: ClosedRange<UInt8>

    public init(role: String, software: String, versions: ClosedRange<UInt8> = ProtocolVersion.supported) {
        self.role = role
        self.software = software
        self.versions = versions
    }

    /// The reply to what a ROUTER received (routing id first), or `nil` when nothing may be answered.
    public func reply(to frames: [Frame]) -> [Frame]? {
        guard let peer = frames.first, frames.count >= 2 else { return nil }
        let message: ShoalMessage
        do {
            message = try ShoalCodec.decode(frames.dropFirst())
        } catch {
            // Never answer what might itself be an ERROR, EVENT or PONG (docs/protocol.md, section 6).
            let typeByte = (try? ShoalCodec.header(frames[1]))?.type ?? 0
            if [MessageType.error, .event, .pong].contains(where: { $0.rawValue == typeByte }) { return nil }
            let code: ErrorReply.Code
            switch error {
            case .unsupportedVersion: code = .unsupportedVersion
            case .unknownType: code = .unknownType
            case .tooLarge: code = .tooLarge
            default: code = .malformed
            }
            return routed(peer, refusal(code, inReplyTo: typeByte, "\(error)"))
        }
        switch message {
        case .ping(let ping):
            let high = min(versions.upperBound, ping.maxVersion)
            guard high >= max(versions.lowerBound, ping.minVersion) else {
                return routed(peer, refusal(
                    .unsupportedVersion, inReplyTo: MessageType.ping.rawValue,
                    "no common protocol version: you speak \(ping.minVersion)…\(ping.maxVersion), "
                        + "this \(role) speaks \(versions.lowerBound)…\(versions.upperBound)"))
            }
            return routed(peer, .pong(Pong(
                nonce: ping.nonce, version: high, minVersion: versions.lowerBound, maxVersion: versions.upperBound,
                role: role, software: software)))
        case .error, .event, .pong:
            return nil
        default:
            return routed(peer, refusal(
                .unknownType, inReplyTo: message.type.rawValue,
                "a \(role) answers only PING; \(message.type) is not served here"))
        }
    }

    private func refusal(_ code: ErrorReply.Code, inReplyTo type: UInt8, _ text: String) -> ShoalMessage {
        .error(ErrorReply(code: code, inReplyTo: type, message: text,
                          minVersion: versions.lowerBound, maxVersion: versions.upperBound))
    }

    private func routed(_ peer: Frame, _ message: ShoalMessage) -> [Frame] {
        [peer] + ShoalCodec.encode(message)
    }
}
