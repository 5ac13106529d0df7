import ShoalETL

/// Reads one YAML mapping key by key, for job-kind planners and the settings loader, so that every mistake in
/// a file is reported where it was made: `FILE:LINE:COLUMN: key.path: message`.
///
/// A reader declares the keys it knows (`checkKeys`); any other key is an error with a "did you mean" for a
/// typo, so a misspelt optional key is never silently ignored. A key whose value is null (`timeout:` with
/// nothing after it, or `~`) counts as absent for the `optional…` getters.
public struct YAMLMappingReader: Sendable {
    /// The file the mapping came from, for errors.
    public let source: String
    /// Where this mapping sits in the document, e.g. `coordinator`; empty for the top level.
    public let keyPath: String
    /// The mapping itself.
    public let node: YAMLNode
    private let entries: [YAMLNode.Entry]

    /// A reader over `node`.
    /// - Throws: `JobFileError` when `node` is not a mapping.
    public init(_ node: YAMLNode, source: String, keyPath: String = "") throws(JobFileError) {
        guard case .mapping(let entries) = node.content else {
            let place = keyPath.isEmpty ? " at the top level" : ""
            throw JobFileError(
                source: source, at: node.position, keyPath: keyPath,
                message: "expected a mapping (key: value lines)\(place), got \(node.kindDescription)")
        }
        self.source = source
        self.keyPath = keyPath
        self.node = node
        self.entries = entries
    }

    /// The keys written in this mapping, in document order.
    public var keys: [String] { entries.map(\.key) }

    /// Refuses any key not in `known`, at the first such key, suggesting the nearest known key.
    public func checkKeys(_ known: some Collection<String>) throws(JobFileError) {
        for entry in entries where !known.contains(entry.key) {
            let hint =
                if let suggestion = NameSuggestion.closest(to: entry.key, among: known) {
                    "; did you mean '\(suggestion)'?"
                } else {
                    " (known keys: \(known.sorted().joined(separator: ", ")))"
                }
            throw JobFileError(
                source: source, at: entry.keyPosition, keyPath: path(entry.key), message: "unknown key\(hint)")
        }
    }

    /// The value written for `key`, null or not; `nil` when the key is absent.
    public func value(_ key: String) -> YAMLNode? {
        entries.first { $0.key == key }?.value
    }

    /// The value for `key` unless it is absent or null.
    public func presentValue(_ key: String) -> YAMLNode? {
        guard let value = value(key), !value.isNull else { return nil }
        return value
    }

    /// Whether `key` has a non-null value.
    public func contains(_ key: String) -> Bool { presentValue(key) != nil }

    /// The key path of `key` in this mapping, e.g. `coordinator.workers`.
    public func path(_ key: String) -> String {
        keyPath.isEmpty ? key : "\(keyPath).\(key)"
    }

    /// An error about the value of `key` (its `element`-th list element, when given), located at that value;
    /// about the mapping itself when `key` is `nil` or absent. For a planner's own checks ("either inputs or
    /// shards", "a glob that matches nothing").
    public func error(_ message: String, key: String? = nil, element: Int? = nil) -> JobFileError {
        guard let key else { return JobFileError(source: source, at: node.position, keyPath: keyPath, message: message) }
        guard let value = value(key) else {
            return JobFileError(source: source, at: node.position, keyPath: path(key), message: message)
        }
        if let element, case .sequence(let elements) = value.content, elements.indices.contains(element) {
            return JobFileError(
                source: source, at: elements[element].position, keyPath: "\(path(key))[\(element)]", message: message)
        }
        return JobFileError(source: source, at: value.position, keyPath: path(key), message: message)
    }

    /// The error for a required key that is absent or null, at the mapping (or at the null value).
    func missing(_ key: String) -> JobFileError {
        let position = value(key)?.position ?? node.position
        return JobFileError(source: source, at: position, keyPath: path(key), message: "missing required key")
    }
}
