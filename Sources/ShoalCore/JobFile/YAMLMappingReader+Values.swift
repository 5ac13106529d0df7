extension YAMLMappingReader {
    /// A value that may be written as one string or as a list of strings (a command as a shell line or an
    /// argv list; one input pattern or several).
    public enum StringOrList: Sendable, Equatable {
        case string(String)
        case list([String])
    }

    /// The non-empty string at `key`; any scalar but null reads as its text, so `name: 2024` is "2024".
    public func requiredString(_ key: String) throws(JobFileError) -> String {
        guard let value = try optionalString(key) else { throw missing(key) }
        return value
    }

    /// The non-empty string at `key`, or `nil` when absent.
    public func optionalString(_ key: String) throws(JobFileError) -> String? {
        guard let node = presentValue(key) else { return nil }
        let text = try string(node, path: path(key))
        guard !text.isEmpty else { throw mistake(node, path(key), "must not be empty") }
        return text
    }

    /// A string or a list of strings at `key`. List elements may be empty strings.
    public func requiredStringOrList(_ key: String) throws(JobFileError) -> StringOrList {
        guard let value = try optionalStringOrList(key) else { throw missing(key) }
        return value
    }

    /// A string or a list of strings at `key`, or `nil` when absent. List elements may be empty strings.
    public func optionalStringOrList(_ key: String) throws(JobFileError) -> StringOrList? {
        guard let node = presentValue(key) else { return nil }
        if case .sequence = node.content { return .list(try stringList(node, path: path(key))) }
        guard case .scalar = node.content else {
            throw mistake(node, path(key), "expected a string or a list of strings, got \(node.kindDescription)")
        }
        return .string(try string(node, path: path(key)))
    }

    /// The list of strings at `key`, or `nil` when absent.
    public func optionalStringList(_ key: String) throws(JobFileError) -> [String]? {
        guard let node = presentValue(key) else { return nil }
        return try stringList(node, path: path(key))
    }

    /// The whole number at `key`, within `range`.
    public func requiredInt(_ key: String, range: ClosedRange<Int>) throws(JobFileError) -> Int {
        guard let value = try optionalInt(key, range: range) else { throw missing(key) }
        return value
    }

    /// The whole number at `key`, within `range`, or `nil` when absent.
    public func optionalInt(_ key: String, range: ClosedRange<Int>) throws(JobFileError) -> Int? {
        guard let node = presentValue(key) else { return nil }
        return try int(node, path: path(key), range: range)
    }

    /// The list of whole numbers at `key`, each within `range`, or `nil` when absent.
    public func optionalIntList(_ key: String, range: ClosedRange<Int>) throws(JobFileError) -> [Int]? {
        guard let node = presentValue(key) else { return nil }
        let elements = try sequence(node, path: path(key), of: "whole numbers")
        var values: [Int] = []
        values.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() {
            values.append(try int(element, path: "\(path(key))[\(index)]", range: range))
        }
        return values
    }

    /// The number at `key`, within `range`, or `nil` when absent.
    public func optionalDouble(_ key: String, range: ClosedRange<Double>) throws(JobFileError) -> Double? {
        guard let node = presentValue(key) else { return nil }
        let value: Double
        switch node.content {
        case .scalar(_, .int(let whole)): value = Double(whole)
        case .scalar(_, .float(let number)): value = number
        default: throw mistake(node, path(key), "expected a number, got \(node.kindDescription)")
        }
        guard range.contains(value) else {
            throw mistake(node, path(key), "must be between \(range.lowerBound) and \(range.upperBound), got \(value)")
        }
        return value
    }

    /// `true` or `false` at `key`, or `nil` when absent.
    public func optionalBool(_ key: String) throws(JobFileError) -> Bool? {
        guard let node = presentValue(key) else { return nil }
        guard case .scalar(_, .bool(let value)) = node.content else {
            throw mistake(node, path(key), "expected true or false, got \(node.kindDescription)")
        }
        return value
    }

    /// The duration at `key` (`DurationText`: `250ms`, `30s`, `5m`, `1h30m`, or a number of seconds), or `nil`
    /// when absent. Zero is refused unless `allowZero`: a zero timeout is a mistake, not "no timeout".
    /// - Parameter range: the durations allowed, when narrower than any (said in the error with its bounds).
    public func optionalDuration(
        _ key: String, allowZero: Bool = false, range: ClosedRange<Duration>? = nil
    ) throws(JobFileError) -> Duration? {
        guard let node = presentValue(key) else { return nil }
        let expected = "expected a duration such as 30s, got \(node.kindDescription)"
        guard case .scalar(let text, let scalar) = node.content else { throw mistake(node, path(key), expected) }
        let duration: Duration?
        // Numbers of seconds are bounded as text is (`DurationText`: 64-bit nanoseconds, about 292 years): a
        // larger one overflowed converting to milliseconds, and stopped the coordinator.
        let longest = Double(Int64.max) / 1e9
        switch scalar {
        case .int(let seconds): duration = seconds < 0 || Double(seconds) >= longest ? nil : .seconds(seconds)
        case .float(let seconds): duration = seconds >= 0 && seconds < longest ? .seconds(seconds) : nil
        case .string: duration = DurationText.parse(text)
        case .null, .bool: throw mistake(node, path(key), expected)
        }
        guard let duration else {
            throw mistake(
                node, path(key),
                "'\(text)' is not a duration; write e.g. 250ms, 30s, 5m, 1h30m, or a positive number of seconds "
                    + "(at most about 292 years)")
        }
        guard allowZero || duration > .zero else { throw mistake(node, path(key), "must be more than zero") }
        if let range, !range.contains(duration) {
            throw mistake(node, path(key), "must be from \(DurationText.format(range.lowerBound)) to "
                + "\(DurationText.format(range.upperBound)), got '\(text)'")
        }
        return duration
    }

    /// The mapping of names to strings at `key` (an environment, say), or `nil` when absent. Values may be
    /// any scalar but null, read as their text (`PORT: 8080` is "8080").
    public func optionalStringMap(_ key: String) throws(JobFileError) -> [String: String]? {
        guard let node = presentValue(key) else { return nil }
        let reader = try YAMLMappingReader(node, source: source, keyPath: path(key))
        var values: [String: String] = [:]
        for name in reader.keys {
            guard let value = reader.value(name) else { continue }
            values[name] = try string(value, path: reader.path(name))
        }
        return values
    }

    /// A reader over the nested mapping at `key` that knows `keys`, or `nil` when absent.
    /// - Throws: when the value is not a mapping or holds a key not in `keys`.
    public func optionalMapping(_ key: String, keys: some Collection<String>) throws(JobFileError) -> YAMLMappingReader? {
        guard let node = presentValue(key) else { return nil }
        let reader = try YAMLMappingReader(node, source: source, keyPath: path(key))
        try reader.checkKeys(keys)
        return reader
    }

    // MARK: - One node

    private func string(_ node: YAMLNode, path: String) throws(JobFileError) -> String {
        guard case .scalar(let text, let scalar) = node.content, scalar != .null else {
            throw mistake(node, path, "expected a string, got \(node.kindDescription)")
        }
        return text
    }

    private func stringList(_ node: YAMLNode, path: String) throws(JobFileError) -> [String] {
        let elements = try sequence(node, path: path, of: "strings")
        var values: [String] = []
        values.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() {
            values.append(try string(element, path: "\(path)[\(index)]"))
        }
        return values
    }

    private func sequence(_ node: YAMLNode, path: String, of what: String) throws(JobFileError) -> [YAMLNode] {
        guard case .sequence(let elements) = node.content else {
            throw mistake(node, path, "expected a list of \(what), got \(node.kindDescription)")
        }
        return elements
    }

    private func int(_ node: YAMLNode, path: String, range: ClosedRange<Int>) throws(JobFileError) -> Int {
        let outside =
            range.upperBound == .max
            ? "must be at least \(range.lowerBound)" : "must be between \(range.lowerBound) and \(range.upperBound)"
        switch node.content {
        case .scalar(_, .int(let value)):
            guard range.contains(value) else { throw mistake(node, path, "\(outside), got \(value)") }
            return value
        case .scalar(let text, .float(let value)) where value.rounded() == value && value.magnitude >= 0x1p63:
            // A whole number too large for Int: out of any range we accept.
            throw mistake(node, path, "\(outside), got \(text)")
        default:
            throw mistake(node, path, "expected a whole number, got \(node.kindDescription)")
        }
    }

    private func mistake(_ node: YAMLNode, _ path: String, _ message: String) -> JobFileError {
        JobFileError(source: source, at: node.position, keyPath: path, message: message)
    }
}
