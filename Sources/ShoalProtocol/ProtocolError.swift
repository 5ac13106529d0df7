/// Why a sequence of frames is not a valid Shoal message. Decoding throws these; it never traps.
public enum ProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Fewer frames than the message needs, or more than it declares.
    case frameCount(type: String, expected: Int, got: Int)
    /// The header frame is not 4 bytes starting with "SH".
    case badHeader(bytes: Int)
    /// The header's version is outside what this build understands.
    case unsupportedVersion(got: UInt8, supported: ClosedRange<UInt8>)
    /// The header's type byte names no message of this version.
    case unknownType(UInt8)
    /// The body ended inside `field`.
    case truncated(type: String, field: String)
    /// A field is larger than the limit.
    case tooLarge(field: String, size: Int, limit: Int)
    /// A string field is not valid UTF-8.
    case invalidUTF8(field: String)
    /// A field holds a value outside its domain (an unknown enum code, a zero id, …).
    case invalidValue(field: String, reason: String)

    public var description: String {
        switch self {
        case .frameCount(let type, let expected, let got):
            "\(type): expected \(expected) frames, got \(got)"
        case .badHeader(let bytes):
            "not a Shoal message: the header frame (\(bytes) bytes) is not 'SH' + version + type"
        case .unsupportedVersion(let got, let supported):
            "protocol version \(got) is not supported (this build speaks \(supported.lowerBound)…\(supported.upperBound))"
        case .unknownType(let type):
            "unknown message type 0x\(String(type, radix: 16))"
        case .truncated(let type, let field):
            "\(type): body ends inside field '\(field)'"
        case .tooLarge(let field, let size, let limit):
            "'\(field)' is \(size) bytes or items; the limit is \(limit)"
        case .invalidUTF8(let field):
            "'\(field)' is not valid UTF-8"
        case .invalidValue(let field, let reason):
            "'\(field)': \(reason)"
        }
    }
}
