/// Why a job file was refused, located precisely enough to fix it without guessing.
///
/// Printed as `FILE:LINE:COLUMN: KEY.PATH: what is wrong (what was expected)`, like a compiler. `cluster.yaml`
/// and `SHOAL_*` environment variables are read with the same reader and report the same way
/// (`SettingsLoader`).
public struct JobFileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The job file as the user named it.
    public var source: String
    /// 1-based line and column, when the error has a position in the text.
    public var line: Int?
    public var column: Int?
    /// The key path at fault, e.g. `steps[2].filter` or `command`; empty for the whole document.
    public var keyPath: String
    /// What is wrong and what was expected.
    public var message: String

    public init(source: String, line: Int? = nil, column: Int? = nil, keyPath: String = "", message: String) {
        self.source = source
        self.line = line
        self.column = column
        self.keyPath = keyPath
        self.message = message
    }

    /// An error at `position` in the source text.
    public init(source: String, at position: YAMLNode.Position, keyPath: String = "", message: String) {
        self.init(source: source, line: position.line, column: position.column, keyPath: keyPath, message: message)
    }

    public var description: String {
        var location = source
        if let line {
            location += ":\(line)"
            if let column { location += ":\(column)" }
        }
        return keyPath.isEmpty ? "\(location): \(message)" : "\(location): \(keyPath): \(message)"
    }
}
