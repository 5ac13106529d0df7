import Yams

extension YAMLNode {
    /// Parses `text` as a single YAML document.
    /// - Parameter source: the file's name as the user gave it, for error messages.
    /// - Returns: the document's root, or `nil` when the text holds no document (empty, or only comments).
    /// - Throws: `JobFileError` at the line and column where the YAML stops making sense, or at a mapping key
    ///   that is not a scalar.
    public static func parse(yaml text: String, source: String) throws(JobFileError) -> YAMLNode? {
        let root: Yams.Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw JobFileError(yaml: error, source: source)
        } catch {
            throw JobFileError(source: source, message: "cannot read YAML: \(error)")
        }
        guard let root else { return nil }
        return try YAMLNode(root, source: source)
    }

    /// Converts a Yams node, resolving every tag now, on this thread (see the type's comment).
    init(_ node: Yams.Node, source: String) throws(JobFileError) {
        let position = Position(node.mark)
        switch node {
        case .scalar(let scalar):
            self.init(.scalar(scalar.string, Self.resolve(node, text: scalar.string)), at: position)
        case .sequence(let sequence):
            var elements: [YAMLNode] = []
            elements.reserveCapacity(sequence.count)
            for element in sequence { elements.append(try YAMLNode(element, source: source)) }
            self.init(.sequence(elements), at: position)
        case .mapping(let mapping):
            var entries: [Entry] = []
            entries.reserveCapacity(mapping.count)
            for (key, value) in mapping {
                guard case .scalar(let keyScalar) = key else {
                    let keyNode = try YAMLNode(key, source: source)
                    throw JobFileError(
                        source: source, at: keyNode.position,
                        message: "a key must be a name, got \(keyNode.kindDescription)")
                }
                entries.append(
                    Entry(key: keyScalar.string, keyPosition: Position(key.mark), value: try YAMLNode(value, source: source)))
            }
            self.init(.mapping(entries), at: position)
        case .alias(let alias):
            // Yams's composer replaces aliases with the anchored node; one left over is undefined.
            throw JobFileError(source: source, at: position, message: "undefined alias '*\(alias.anchor.rawValue)'")
        }
    }

    private static func resolve(_ node: Yams.Node, text: String) -> Scalar {
        switch node.tag.rawValue {
        case Tag.Name.null.rawValue:
            return .null
        case Tag.Name.bool.rawValue:
            return node.bool.map(Scalar.bool) ?? .string
        case Tag.Name.int.rawValue:
            // An integer too large for Int still reads as a number, so a range check can say so.
            if let value = node.int { return .int(value) }
            return Double(text.replacingOccurrences(of: "_", with: "")).map(Scalar.float) ?? .string
        case Tag.Name.float.rawValue:
            return node.float.map(Scalar.float) ?? .string
        default:
            return .string
        }
    }
}

extension YAMLNode.Position {
    init(_ mark: Mark?) {
        self.init(line: mark?.line ?? 1, column: mark?.column ?? 1)
    }
}

extension JobFileError {
    /// A Yams error as a located `JobFileError`.
    init(yaml error: YamlError, source: String) {
        switch error {
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let during = context.map { " (\($0.text) at \($0.mark))" } ?? ""
            self.init(source: source, at: YAMLNode.Position(mark), message: "invalid YAML: \(problem)\(during)")
        case .reader(let problem, let offset, _, let yaml):
            let position = offset.map { Self.position(ofCharacter: $0, in: yaml) }
            self.init(
                source: source, line: position?.line, column: position?.column, message: "invalid YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            self.init(
                source: source, at: YAMLNode.Position(context.mark),
                message: "duplicate key \(keys) in one mapping (each key may appear once)")
        default:
            self.init(source: source, message: "invalid YAML: \(error)")
        }
    }

    private static func position(ofCharacter offset: Int, in text: String) -> YAMLNode.Position {
        var line = 1
        var column = 1
        for character in text.prefix(offset) {
            if character.isNewline {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return YAMLNode.Position(line: line, column: column)
    }
}
