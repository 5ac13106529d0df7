/// One line of `shoal doctor`'s report.
public struct PreflightCheck: Sendable, Equatable, CustomStringConvertible {
    public enum Status: String, Sendable, Codable {
        case pass, warn, fail
    }

    public var status: Status
    /// What was found, in one line.
    public var summary: String
    /// What to do about it, when anything.
    public var hint: String?

    public init(_ status: Status, _ summary: String, hint: String? = nil) {
        self.status = status
        self.summary = summary
        self.hint = hint
    }

    public var description: String {
        let mark = switch status {
        case .pass: "ok  "
        case .warn: "warn"
        case .fail: "FAIL"
        }
        return "[\(mark)] \(summary)" + (hint.map { "\n       \($0)" } ?? "")
    }
}
