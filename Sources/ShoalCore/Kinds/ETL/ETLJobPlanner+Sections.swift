import Foundation
import ShoalETL

extension ETLJobPlanner {
    static let inputKeys = ["format", "paths", "header", "delimiter", "on_bad_row", "schema", "shard_size", "sample_rows"]
    static let outputKeys = ["path", "format", "partition_by", "partitions"]
    static let aggregateKeys = ["group_by", "values", "output"]
    static let stepNames = ["filter", "derive", "select", "rename", "drop", "cast", "fill_null", "drop_null", "hash_bucket", "one_hot", "standardize", "min_max"]

    /// An input section (`input:` of an etl job; `train:` and `validation:` of a train job's data).
    static func input(
        _ reader: YAMLMappingReader, key: String = "input", workingDirectory: String
    ) throws(JobFileError) -> (InputSpec, [String: DataType], Int) {
        guard let section = try reader.optionalMapping(key, keys: inputKeys) else {
            throw reader.error("missing required key", key: key)
        }
        let patterns: [(String, Int?)]
        switch try section.requiredStringOrList("paths") {
        case .string(let one): patterns = [(one, nil)]
        case .list(let list): patterns = list.enumerated().map { ($1, $0) }
        }
        guard !patterns.isEmpty else { throw section.error("the list is empty; give at least one pattern", key: "paths") }
        var files: Set<String> = []
        for (pattern, element) in patterns {
            let matches = InputGlob.files(matching: pattern, in: workingDirectory)
            guard !matches.isEmpty else {
                throw section.error("'\(pattern)' matches no regular file in \(workingDirectory)", key: "paths", element: element)
            }
            files.formUnion(matches.map(\.path))
        }
        let paths = files.sorted()
        let format: FileFormat
        if let text = try section.optionalString("format") {
            guard let known = FileFormat(rawValue: text.lowercased()) else {
                throw section.error("expected csv or jsonl, got '\(text)'", key: "format")
            }
            format = known
        } else {
            let name = paths[0].hasSuffix(".gz") ? String(paths[0].dropLast(3)) : paths[0]
            format = name.hasSuffix(".jsonl") || name.hasSuffix(".ndjson") ? .jsonl : .csv
        }
        var delimiter = UInt8(ascii: ",")
        if let text = try section.optionalString("delimiter") {
            let bytes = Array((text == "\\t" ? "\t" : text).utf8)
            guard bytes.count == 1, bytes[0] != UInt8(ascii: "\""), bytes[0] != 10, bytes[0] != 13 else {
                throw section.error("the delimiter must be one ASCII character other than a quote or a line break (\\t for tab)", key: "delimiter")
            }
            delimiter = bytes[0]
        }
        var policy = BadRowPolicy.fail
        if let text = try section.optionalString("on_bad_row") {
            guard let known = BadRowPolicy(rawValue: text) else {
                throw section.error("expected fail, skip or quarantine, got '\(text)'", key: "on_bad_row")
            }
            policy = known
        }
        var overrides: [String: DataType] = [:]
        if let types = try section.optionalStringMap("schema"), let node = section.presentValue("schema") {
            let typesReader = try YAMLMappingReader(node, source: reader.source, keyPath: "input.schema")
            for (name, text) in types {
                guard let type = DataType(name: text) else {
                    throw typesReader.error("unknown type '\(text)' (int, float, bool or string)", key: name)
                }
                overrides[name] = type
            }
        }
        let shardBytes = try byteSize(section, "shard_size") ?? defaultShardBytes
        let sampleRows = try section.optionalInt("sample_rows", range: 1...10_000_000) ?? 10_000
        let input = InputSpec(
            format: format, paths: paths, header: try section.optionalBool("header") ?? true, delimiter: delimiter,
            onBadRow: policy, shardBytes: shardBytes)
        return (input, overrides, sampleRows)
    }

    /// A size as a number of bytes or with a unit: `64MiB`, `1 GiB`, `500kB`, `1048576`.
    static func byteSize(_ reader: YAMLMappingReader, _ key: String) throws(JobFileError) -> Int? {
        guard let node = reader.presentValue(key), case .scalar(let text, _) = node.content else { return nil }
        let units: [(String, Int)] = [
            ("kib", 1 << 10), ("mib", 1 << 20), ("gib", 1 << 30), ("kb", 1_000), ("mb", 1_000_000), ("gb", 1_000_000_000),
            ("k", 1 << 10), ("m", 1 << 20), ("g", 1 << 30), ("b", 1), ("", 1),
        ]
        let lower = text.lowercased().replacingOccurrences(of: " ", with: "")
        for (unit, scale) in units where lower.hasSuffix(unit) {
            if let number = Double(lower.dropLast(unit.count)), number >= 1, number * Double(scale) <= 1e15 {
                let bytes = Int(number * Double(scale))
                guard bytes >= 4096 else { break }
                return bytes
            }
        }
        throw reader.error("expected a size of at least 4 KiB such as 64MiB, 1GiB or a number of bytes, got '\(text)'", key: key)
    }

    static func steps(_ reader: YAMLMappingReader) throws(JobFileError) -> [Step] {
        guard let node = reader.presentValue("steps") else { return [] }
        guard case .sequence(let elements) = node.content else {
            throw reader.error("expected a list of steps (- filter: …), got \(node.kindDescription)", key: "steps")
        }
        var steps: [Step] = []
        for (index, element) in elements.enumerated() {
            let path = "steps[\(index)]"
            let step = try YAMLMappingReader(element, source: reader.source, keyPath: path)
            try step.checkKeys(stepNames)
            guard step.keys.count == 1, let name = step.keys.first else {
                throw step.error("each step is one of \(stepNames.joined(separator: ", ")), written as a list element of its own")
            }
            steps.append(try Self.step(name, step, source: reader.source, path: path))
        }
        return steps
    }

    private static func step(_ name: String, _ step: YAMLMappingReader, source: String, path: String) throws(JobFileError) -> Step {
        func mapping() throws(JobFileError) -> YAMLMappingReader {
            guard let node = step.presentValue(name) else { throw step.error("missing a value", key: name) }
            return try YAMLMappingReader(node, source: source, keyPath: "\(path).\(name)")
        }
        func names() throws(JobFileError) -> [String] {
            switch try step.requiredStringOrList(name) {
            case .string(let one): return [one]
            case .list(let list):
                guard !list.isEmpty else { throw step.error("the list is empty", key: name) }
                return list
            }
        }
        switch name {
        case "filter":
            return .filter(try step.requiredString(name))
        case "derive":
            let m = try mapping()
            guard !m.keys.isEmpty else { throw step.error("give at least one column: expression", key: name) }
            var derived: [NamedExpression] = []
            for key in m.keys { derived.append(NamedExpression(key, try m.requiredString(key))) }
            return .derive(derived)
        case "select": return .select(try names())
        case "drop": return .drop(try names())
        case "drop_null": return .dropNull(try names())
        case "standardize": return .standardize(try names())
        case "min_max": return .minMax(try names())
        case "rename":
            let m = try mapping()
            var renamings: [Renaming] = []
            for key in m.keys { renamings.append(Renaming(key, try m.requiredString(key))) }
            return .rename(renamings)
        case "cast":
            let m = try mapping()
            var casts: [ColumnType] = []
            for key in m.keys {
                let text = try m.requiredString(key)
                guard let type = DataType(name: text) else {
                    throw m.error("unknown type '\(text)' (int, float, bool or string)", key: key)
                }
                casts.append(ColumnType(key, type))
            }
            return .cast(casts)
        case "fill_null":
            let m = try mapping()
            var fills: [ColumnFill] = []
            for key in m.keys {
                guard let node = m.presentValue(key), case .scalar(let text, let scalar) = node.content else {
                    throw m.error("expected a value to put in place of null", key: key)
                }
                let value: Value =
                    switch scalar {
                    case .int(let v): .int(Int64(v))
                    case .float(let v): .float(v)
                    case .bool(let v): .bool(v)
                    default: .string(text)
                    }
                fills.append(ColumnFill(key, value))
            }
            return .fillNull(fills)
        case "hash_bucket":
            let m = try mapping()
            guard m.keys.count == 1, let column = m.keys.first else {
                throw step.error("write one column and its number of buckets: { user_id: 1024 }", key: name)
            }
            return .hashBucket(column: column, buckets: try m.requiredInt(column, range: 1...(1 << 40)))
        default:  // one_hot
            let m = try mapping()
            guard m.keys.count == 1, let column = m.keys.first else {
                throw step.error("write one column and its categories: { device: [mobile, desktop, tablet] }", key: name)
            }
            guard let categories = try m.optionalStringList(column), !categories.isEmpty else {
                throw m.error("give the categories as a list", key: column)
            }
            guard Set(categories).count == categories.count else { throw m.error("a category is listed twice", key: column) }
            return .oneHot(column: column, categories: categories)
        }
    }

    static func output(_ reader: YAMLMappingReader, workingDirectory: String) throws(JobFileError) -> OutputSpec? {
        guard let section = try reader.optionalMapping("output", keys: outputKeys) else { return nil }
        let path = LexicalPath.absolute(try section.requiredString("path"), in: workingDirectory)
        var format = FileFormat.csv
        if let text = try section.optionalString("format") {
            guard let known = FileFormat(rawValue: text.lowercased()) else {
                throw section.error("expected csv or jsonl, got '\(text)'", key: "format")
            }
            format = known
        }
        var partitionBy: [String] = []
        switch try section.optionalStringOrList("partition_by") {
        case .string(let one): partitionBy = [one]
        case .list(let list): partitionBy = list
        case nil: break
        }
        let partitions = try section.optionalInt("partitions", range: 1...4096)
        if partitions != nil && partitionBy.isEmpty {
            throw section.error("partitions needs partition_by (the columns to hash)", key: "partitions")
        }
        return OutputSpec(path: path, format: format, partitionBy: partitionBy, partitions: partitionBy.isEmpty ? 1 : (partitions ?? 16))
    }

    static func aggregate(_ reader: YAMLMappingReader, workingDirectory: String) throws(JobFileError) -> AggregateSpec? {
        guard let section = try reader.optionalMapping("aggregate", keys: aggregateKeys) else { return nil }
        var groupBy: [String] = []
        switch try section.optionalStringOrList("group_by") {
        case .string(let one): groupBy = [one]
        case .list(let list): groupBy = list
        case nil: break
        }
        guard let valuesNode = section.presentValue("values") else { throw section.error("missing required key", key: "values") }
        let valuesReader = try YAMLMappingReader(valuesNode, source: reader.source, keyPath: "aggregate.values")
        guard !valuesReader.keys.isEmpty else { throw section.error("give at least one name: \"function(column)\"", key: "values") }
        var values: [AggregateValue] = []
        for name in valuesReader.keys {
            guard !groupBy.contains(name) else {
                throw valuesReader.error("'\(name)' is already a group_by column", key: name)
            }
            let text = try valuesReader.requiredString(name)
            guard let call = AggregateCall.parse(text) else {
                throw valuesReader.error("expected function(argument), e.g. sum(price) or count(), got '\(text)'", key: name)
            }
            guard let function = AggregateFunction(name: call.function) else {
                let known = AggregateFunction.allCases.map(\.rawValue).joined(separator: ", ")
                throw valuesReader.error("unknown aggregate '\(call.function)' (known: \(known))", key: name)
            }
            let arity = call.arguments.count
            switch function {
            case .count where arity > 1, .sum where arity != 1, .mean where arity != 1, .min where arity != 1,
                 .max where arity != 1, .variance where arity != 1, .stddev where arity != 1, .countDistinct where arity != 1,
                 .first where arity != 2, .last where arity != 2:
                throw valuesReader.error("\(function.rawValue) takes \(function == .first || function == .last ? "2 arguments (value, key)" : function == .count ? "0 or 1 argument" : "1 argument"), got \(arity)", key: name)
            default: break
            }
            values.append(AggregateValue(name: name, function: function, argument: call.arguments.first, orderBy: arity == 2 ? call.arguments[1] : nil))
        }
        let output = LexicalPath.absolute(try section.requiredString("output"), in: workingDirectory)
        let format: FileFormat = output.hasSuffix(".jsonl") || output.hasSuffix(".ndjson") ? .jsonl : .csv
        return AggregateSpec(groupBy: groupBy, values: values, output: output, format: format)
    }
}
