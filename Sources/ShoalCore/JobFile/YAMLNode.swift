/// A YAML value with the position it was written at: an immutable, `Sendable` copy of a Yams `Node`.
///
/// Yams's `Node` is not `Sendable`: its `Tag` is a class that resolves its name lazily, on first read, so two
/// threads reading one node race. A job file crosses tasks (client endpoint → planner → store), so it is
/// converted once, on the parsing thread, into this tree, with every scalar's type already resolved.
public struct YAMLNode: Sendable, Equatable {
    /// A 1-based line and column in the source text (columns count Unicode scalars, as libyaml does).
    public struct Position: Sendable, Hashable, CustomStringConvertible {
        public var line: Int
        public var column: Int

        public init(line: Int, column: Int) {
            self.line = line
            self.column = column
        }

        public var description: String { "\(line):\(column)" }
    }

    /// What a scalar reads as under YAML's core rules: only plain (unquoted, untagged) scalars are anything
    /// but `.string`, so `"3"` stays text while `3` is a number.
    public enum Scalar: Sendable, Equatable {
        case null
        case bool(Bool)
        case int(Int)
        case float(Double)
        case string
    }

    /// One `key: value` pair of a mapping. Keys are scalars; their text is the key.
    public struct Entry: Sendable, Equatable {
        public var key: String
        public var keyPosition: Position
        public var value: YAMLNode

        public init(key: String, keyPosition: Position, value: YAMLNode) {
            self.key = key
            self.keyPosition = keyPosition
            self.value = value
        }
    }

    public enum Content: Sendable, Equatable {
        /// The text as written (without quotes or escapes) and what it reads as.
        case scalar(String, Scalar)
        case sequence([YAMLNode])
        /// Entries in document order.
        case mapping([Entry])
    }

    public var content: Content
    public var position: Position

    public init(_ content: Content, at position: Position) {
        self.content = content
        self.position = position
    }

    /// Whether this is a null scalar (`~`, `null`, or nothing at all after a key).
    public var isNull: Bool {
        if case .scalar(_, .null) = content { return true }
        return false
    }

    /// What this node is, for "expected …, got …" messages: "a string", "a list", "null", ….
    public var kindDescription: String {
        switch content {
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        case .scalar(_, .null): return "null"
        case .scalar(_, .bool): return "a boolean"
        case .scalar(_, .int): return "a whole number"
        case .scalar(_, .float): return "a number"
        case .scalar(_, .string): return "a string"
        }
    }
}
