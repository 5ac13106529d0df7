import Foundation

/// The column-at-a-time conversions behind `cast`, `fill_null`, `hash_bucket` and `one_hot`.
enum ColumnCast {
    /// `column` converted to `type`, and how many non-null values could not be converted (now null).
    /// float → int truncates toward zero (out of range: null); string → number/bool parses (`true`/`false`,
    /// case-insensitive); anything → string formats as the CSV writer would.
    static func cast(_ column: Column, to type: DataType) -> (Column, failures: Int) {
        if column.type == type { return (column, 0) }
        var builder = ColumnBuilder(type: type)
        var failures = 0
        for row in 0..<column.count {
            let value = column.value(at: row)
            let converted = convert(value, to: type)
            if converted.isNull && !value.isNull { failures += 1 }
            builder.append(converted)
        }
        var built = builder.build()
        if type == .int, built.type == .float { built = Column.nulls(.int, count: column.count) }
        return (built, failures)
    }

    static func convert(_ value: Value, to type: DataType) -> Value {
        switch (value, type) {
        case (.null, _): return .null
        case (.int(let v), .float): return .float(Double(v))
        case (.int(let v), .bool): return .bool(v != 0)
        case (.float(let v), .int):
            // Int64's range exactly: -2^63 is a Double, 2^63 the first one above it (9.3e18 let 2^63…9.3e18 trap).
            let whole = v.rounded(.towardZero)
            guard whole.isFinite, whole >= -9_223_372_036_854_775_808.0, whole < 9_223_372_036_854_775_808.0 else {
                return .null
            }
            return .int(Int64(whole))
        case (.float(let v), .bool): return v.isNaN ? .null : .bool(v != 0)
        case (.bool(let v), .int): return .int(v ? 1 : 0)
        case (.bool(let v), .float): return .float(v ? 1 : 0)
        case (.string(let s), .int): return Int64(s.trimmingCharacters(in: .whitespaces)).map { .int($0) } ?? .null
        case (.string(let s), .float): return Double(s.trimmingCharacters(in: .whitespaces)).map { .float($0) } ?? .null
        case (.string(let s), .bool):
            switch s.lowercased() {
            case "true": return .bool(true)
            case "false": return .bool(false)
            default: return .null
            }
        case (_, .string): return .string(String(decoding: text(value), as: UTF8.self))
        default: return value
        }
    }

    /// The value as the writers print it.
    static func text(_ value: Value) -> [UInt8] {
        var out: [UInt8] = []
        switch value {
        case .null: break
        case .int(let v): TextFormatting.appendInt(v, to: &out)
        case .float(let v): TextFormatting.appendFloat(v, to: &out)
        case .bool(let v): TextFormatting.appendBool(v, to: &out)
        case .string(let s): out = Array(s.utf8)
        }
        return out
    }

    static func fillNulls(_ column: Column, with value: Value) -> Column {
        guard let validity = column.validity else { return column }
        switch (column.data, value) {
        case (.int(var v), .int(let x)):
            for i in v.indices where !validity[i] { v[i] = x }
            return Column(.int(v))
        case (.float(var v), .float(let x)):
            for i in v.indices where !validity[i] { v[i] = x }
            return Column(.float(v))
        case (.bool(var v), .bool(let x)):
            for i in v.indices where !validity[i] { v[i] = x }
            return Column(.bool(v))
        default:
            var builder = ColumnBuilder(type: column.type)
            for row in 0..<column.count { builder.append(column.isNull(row) ? value : column.value(at: row)) }
            return builder.build()
        }
    }

    /// `StableHash` of each value's text (as written) modulo `buckets`; null stays null.
    static func hashBuckets(_ column: Column, buckets: Int) -> Column {
        var out = [Int64](repeating: 0, count: column.count)
        var scratch: [UInt8] = []
        for row in 0..<column.count where !column.isNull(row) {
            scratch.removeAll(keepingCapacity: true)
            appendText(column, row, to: &scratch)
            out[row] = Int64(StableHash.hash(scratch) % UInt64(buckets))
        }
        return Column(.int(out), validity: column.validity)
    }

    /// 1 where the value's text equals `category`, else 0 (also for null).
    static func indicator(_ column: Column, equals category: [UInt8]) -> Column {
        var out = [Int64](repeating: 0, count: column.count)
        if case .string(let strings) = column.data {
            for row in 0..<column.count where !column.isNull(row) && strings.equals(row, category) { out[row] = 1 }
        } else {
            var scratch: [UInt8] = []
            for row in 0..<column.count where !column.isNull(row) {
                scratch.removeAll(keepingCapacity: true)
                appendText(column, row, to: &scratch)
                if scratch == category { out[row] = 1 }
            }
        }
        return Column(.int(out))
    }

    static func appendText(_ column: Column, _ row: Int, to out: inout [UInt8]) {
        switch column.data {
        case .int(let v): TextFormatting.appendInt(v[row], to: &out)
        case .float(let v): TextFormatting.appendFloat(v[row], to: &out)
        case .bool(let v): TextFormatting.appendBool(v[row], to: &out)
        case .string(let s): out.append(contentsOf: s.bytes[s.range(row)])
        }
    }
}
