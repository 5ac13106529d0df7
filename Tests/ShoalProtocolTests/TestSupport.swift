import ShoalProtocol
import ZeroMQ

/// Frames built from byte arrays, the form every golden and hand-made input is written in.
func frames(_ parts: [[UInt8]]) -> [Frame] { parts.map { Frame($0) } }

/// The bytes of each frame, for comparing with golden arrays (and for readable failure output).
func bytes(_ frames: [Frame]) -> [[UInt8]] { frames.map(\.bytes) }

/// The error `ShoalCodec.decode` throws for `parts`, or `nil` when they decode.
func decodeError(_ parts: [[UInt8]], limits: ProtocolLimits = .standard) -> ProtocolError? {
    decodeError(frames(parts), limits: limits)
}

/// The error `ShoalCodec.decode` throws for `frames`, or `nil` when they decode.
func decodeError(_ frames: [Frame], limits: ProtocolLimits = .standard) -> ProtocolError? {
    do {
        _ = try ShoalCodec.decode(frames, limits: limits)
        return nil
    } catch {
        return error
    }
}

/// The field an `.invalidValue` error names, or `nil` for any other outcome (the reason is prose, not contract).
func invalidValueField(_ error: ProtocolError?) -> String? {
    guard case .invalidValue(let field, _) = error else { return nil }
    return field
}

/// A header frame: "SH", version, type.
func header(_ type: UInt8, version: UInt8 = ProtocolVersion.current) -> [UInt8] { [0x53, 0x48, version, type] }

/// Little-endian bytes of a u32, for building malformed bodies by hand.
func le32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }

/// Little-endian bytes of a u64.
func le64(_ value: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }

/// A `string` field: u32 length, then the bytes (which need not be valid UTF-8).
func wireString(_ utf8: [UInt8]) -> [UInt8] { le32(UInt32(utf8.count)) + utf8 }
