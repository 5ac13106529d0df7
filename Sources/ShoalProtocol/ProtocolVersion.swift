/// Versions of the Shoal wire protocol (docs/protocol.md, "Versions").
public enum ProtocolVersion {
    /// The version this build speaks and encodes with. 2 (2026-12): TASK assignments carry attachments.
    /// 3 (2026-12): bulk frames may be placed in shared memory (HELLO's probe, WELCOME's answer, a placement
    /// per TASK attachment and RESULT output). 4 (2026-12): a TASK's specs travel in one frame, each by its
    /// length or as the same as the one before.
    public static let current: UInt8 = 4
    /// The oldest version this build still understands.
    public static let minimum: UInt8 = 4
    /// Every version this build understands.
    public static var supported: ClosedRange<UInt8> { minimum...current }

    /// The highest version both sides support, or `nil` when their ranges do not meet.
    public static func negotiate(peerMinimum: UInt8, peerMaximum: UInt8) -> UInt8? {
        let high = min(current, peerMaximum)
        return high >= max(minimum, peerMinimum) ? high : nil
    }
}
