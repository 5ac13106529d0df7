import Foundation
import Testing
@testable import ShoalETL

/// Random typed expressions over random batches with nulls, evaluated by the vectorized evaluator and by an
/// independent row-at-a-time interpreter over `Value`s written from the language's rules
/// (docs/etl-expressions.md). Each expression is also printed, re-parsed from its canonical form and evaluated
/// again, which checks the printer's parentheses.
@Suite struct ExpressionReferenceTests {
    static let schema = Schema([
        Field("i1", .int), Field("i2", .int), Field("f1", .float), Field("f2", .float),
        Field("b1", .bool), Field("b2", .bool), Field("s1", .string), Field("s2", .string),
    ])

    @Test(arguments: DataType.allCases)
    func randomExpressionsMatchTheReference(type: DataType) throws {
        var random = SplitMix64(seed: 0x5EED_0000 + UInt64(type.rawValue))
        let input = Self.randomBatch(rows: 257, random: &random)
        var generator = ExpressionGenerator(random: random)
        var mismatches = 0
        for _ in 0..<150 {
            let generated = generator.make(type, depth: 4)
            let text = generated.text
            let parsed = try ParsedExpression.parse(text)
            let canonical = try ParsedExpression.parse(parsed.description)
            for expression in [parsed, canonical] {
                let bound = try expression.bind(to: Self.schema, expecting: type)
                #expect(bound.type == type)
                let column = bound.evaluate(on: input)
                // Small odd chunks: results stitched across chunk boundaries must not change.
                let chunked = bound.evaluate(on: input, chunkRows: 37)
                for row in 0..<input.count {
                    let expected = generated.evaluate(row: row, in: input)
                    let actual = column.value(at: row)
                    if !Self.same(actual, expected) || !Self.same(chunked.value(at: row), expected) {
                        mismatches += 1
                        if mismatches <= 10 {
                            Issue.record(
                                "\(expression.text) at row \(row): got \(actual) (in chunks \(chunked.value(at: row))), reference \(expected)")
                        }
                        break
                    }
                }
                if type == .bool {
                    let expected = (0..<input.count).filter { generated.evaluate(row: $0, in: input) == .bool(true) }.map { Int32($0) }
                    #expect(bound.selection(on: input) == expected, "\(expression.text)")
                    #expect(bound.selection(on: input, chunkRows: 37) == expected, "\(expression.text)")
                }
            }
        }
        #expect(mismatches == 0)
        // Every production ran, so every operator and function met nulls, zeros and negatives.
        let missing = ExpressionGenerator.productions(for: type).subtracting(generator.used)
        #expect(missing.isEmpty, "never generated: \(missing.sorted())")
    }

    /// Values agree: same null-ness and type; floats equal up to rounding (the reference computes `//` and `%`
    /// its own way), NaN matching NaN.
    static func same(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case (.float(let x), .float(let y)):
            if x.isNaN || y.isNaN { return x.isNaN && y.isNaN }
            if x == y { return true }
            return Swift.abs(x - y) <= 1e-9 * Swift.max(1, Swift.abs(x), Swift.abs(y))
        default: return a == b
        }
    }

    static func randomBatch(rows: Int, random: inout SplitMix64) -> ColumnBatch {
        let strings = ["tablet", "Tablet", "mobile", "", "É", "école", "it's", "zz", "MiXeD 42", "tablets"]
        func maybeNull(_ v: Value) -> Value { random.next() % 7 == 0 ? .null : v }
        var columns: [Column] = []
        for field in schema.fields {
            let values: [Value] = (0..<rows).map { _ in
                switch field.type {
                // Small ints so that zero divisors and negative operands are common.
                case .int: maybeNull(.int(Int64(random.next() % 21) - 10))
                case .float: maybeNull(.float(random.choice([0, 0.5, -1.5, 2.25, -0.1, 3, 100.75]) + Double(random.next() % 5)))
                case .bool: maybeNull(.bool(random.next() % 2 == 0))
                case .string: maybeNull(.string(random.choice(strings)))
                }
            }
            columns.append(column(of: field.type, values))
        }
        return ColumnBatch(names: schema.names, columns: columns)
    }
}

/// A generated expression: its text and how the reference computes it. `type` is the type the language's
/// rules give it.
indirect enum Generated {
    case literal(Value, DataType)
    case column(String, DataType)
    case negate(Generated, DataType)
    case not(Generated)
    case isNull(Generated, negated: Bool)
    case logical(String, Generated, Generated)
    case comparison(String, Generated, Generated)
    case arithmetic(String, Generated, Generated, DataType)
    case call(String, [Generated], DataType)

    var type: DataType {
        switch self {
        case .literal(_, let t), .column(_, let t), .negate(_, let t), .arithmetic(_, _, _, let t), .call(_, _, let t): t
        case .not, .isNull, .logical, .comparison: .bool
        }
    }

    /// Fully parenthesised text (the canonical re-print checks minimal parentheses).
    var text: String {
        switch self {
        case .literal(let value, _):
            switch value {
            case .null: return "NULL"
            case .string(let s): return "'" + s.replacingOccurrences(of: "'", with: "''") + "'"
            case .bool(let b): return b ? "True" : "false"
            default: return "(\(value))"
            }
        case .column(let name, _): return name
        case .negate(let x, _): return "(-\(x.text))"
        case .not(let x): return "(NOT \(x.text))"
        case .isNull(let x, let negated): return "(\(x.text) IS \(negated ? "NOT " : "")NULL)"
        case .logical(let op, let l, let r), .comparison(let op, let l, let r), .arithmetic(let op, let l, let r, _):
            return "(\(l.text) \(op) \(r.text))"
        case .call(let name, let arguments, _): return "\(name)(\(arguments.map(\.text).joined(separator: ", ")))"
        }
    }

    // MARK: The reference interpreter

    func evaluate(row: Int, in batch: ColumnBatch) -> Value {
        switch self {
        case .literal(let value, let type): return promote(value, to: type)
        case .column(let name, _): return batch[name]!.value(at: row)
        case .negate(let x, _):
            switch x.evaluate(row: row, in: batch) {
            case .int(let v): return .int(v == .min ? .min : -v)
            case .float(let v): return .float(-v)
            default: return .null
            }
        case .not(let x):
            guard case .bool(let v) = x.evaluate(row: row, in: batch) else { return .null }
            return .bool(!v)
        case .isNull(let x, let negated):
            return .bool(x.evaluate(row: row, in: batch).isNull != negated)
        case .logical(let op, let l, let r):
            let a = l.evaluate(row: row, in: batch)
            let b = r.evaluate(row: row, in: batch)
            // Kleene logic spelled out as a table lookup on (a, b).
            let known: [Value] = [a, b]
            if op == "AND" {
                if known.contains(.bool(false)) { return .bool(false) }
                return a == .bool(true) && b == .bool(true) ? .bool(true) : .null
            }
            if known.contains(.bool(true)) { return .bool(true) }
            return a == .bool(false) && b == .bool(false) ? .bool(false) : .null
        case .comparison(let op, let l, let r):
            let a = l.evaluate(row: row, in: batch)
            let b = r.evaluate(row: row, in: batch)
            if a.isNull || b.isNull { return .null }
            let order = Self.order(a, b, floats: l.type == .float || r.type == .float)
            switch op {
            case "==", "=": return .bool(order == .equal)
            case "!=", "<>": return .bool(order != .equal)
            case "<": return .bool(order == .less)
            case "<=": return .bool(order == .less || order == .equal)
            case ">": return .bool(order == .greater)
            default: return .bool(order == .greater || order == .equal)
            }
        case .arithmetic(let op, let l, let r, let type):
            let a = l.evaluate(row: row, in: batch)
            let b = r.evaluate(row: row, in: batch)
            if a.isNull || b.isNull { return .null }
            if type == .int, case .int(let x) = a, case .int(let y) = b { return Self.integer(op, x, y) }
            return Self.real(op, a.doubleValue!, b.doubleValue!)
        case .call(let name, let arguments, let type):
            let values = arguments.map { $0.evaluate(row: row, in: batch) }
            return promote(Self.call(name, values, arguments, type), to: type)
        }
    }

    private func promote(_ value: Value, to type: DataType) -> Value {
        if type == .float, case .int(let v) = value { return .float(Double(v)) }
        return value
    }

    enum Order { case less, equal, greater, unordered }

    /// How two non-null values order. NaN is unordered: every comparison but `!=` is false, as IEEE 754 says.
    static func order(_ a: Value, _ b: Value, floats: Bool) -> Order {
        switch (a, b) {
        case (.int(let x), .int(let y)) where !floats: return x < y ? .less : x > y ? .greater : .equal
        case (.string(let x), .string(let y)):
            let xb = Array(x.utf8)
            let yb = Array(y.utf8)
            if xb == yb { return .equal }
            return xb.lexicographicallyPrecedes(yb) ? .less : .greater
        case (.bool(let x), .bool(let y)): return order(.int(x ? 1 : 0), .int(y ? 1 : 0), floats: false)
        default:
            let x = a.doubleValue!
            let y = b.doubleValue!
            return x < y ? .less : x > y ? .greater : x == y ? .equal : .unordered
        }
    }

    static func integer(_ op: String, _ a: Int64, _ b: Int64) -> Value {
        switch op {
        case "+": return .int(a &+ b)
        case "-": return .int(a &- b)
        case "*": return .int(a &* b)
        case "//", "%":
            if b == 0 { return .null }
            // Truncating quotient (wrapping for min / -1), then one step down when the signs differ and it
            // is inexact; the modulo is what is left over.
            var q = b == -1 ? 0 &- a : a / b
            if q &* b != a && ((a < 0) != (b < 0)) { q -= 1 }
            return op == "//" ? .int(q) : .int(a &- q &* b)
        default: preconditionFailure(op)
        }
    }

    static func real(_ op: String, _ a: Double, _ b: Double) -> Value {
        switch op {
        case "+": return .float(a + b)
        case "-": return .float(a - b)
        case "*": return .float(a * b)
        case "/": return b == 0 ? .null : .float(a / b)
        case "//", "%":
            if b == 0 { return .null }
            var m = a.truncatingRemainder(dividingBy: b)
            if m != 0 && ((m < 0) != (b < 0)) { m += b }
            if op == "%" { return .float(m) }
            return .float(((a - m) / b).rounded())
        default: preconditionFailure(op)
        }
    }

    static func call(_ name: String, _ values: [Value], _ arguments: [Generated], _ type: DataType) -> Value {
        switch name {
        case "coalesce": return values.first { !$0.isNull } ?? .null
        case "if": return values[0] == .bool(true) ? values[1] : values[2]
        default: break
        }
        if values.contains(where: \.isNull) { return .null }
        switch name {
        case "abs":
            if case .int(let v) = values[0] { return .int(v == .min ? .min : Swift.abs(v)) }
            return .float(Swift.abs(values[0].doubleValue!))
        case "log":
            let x = values[0].doubleValue!
            return x > 0 ? .float(Foundation.log(x)) : .null
        case "exp": return .float(Foundation.exp(values[0].doubleValue!))
        case "sqrt":
            let x = values[0].doubleValue!
            return x >= 0 ? .float(x.squareRoot()) : .null
        case "pow":
            let (x, y) = (values[0].doubleValue!, values[1].doubleValue!)
            if x < 0 && y != y.rounded() { return .null }
            if x == 0 && y < 0 { return .null }
            return .float(Foundation.pow(x, y))
        case "min", "max":
            let promoted = values.map { type == .float ? Value.float($0.doubleValue!) : $0 }
            return promoted.dropFirst().reduce(promoted[0]) { best, next in
                order(next, best, floats: type == .float) == (name == "min" ? .less : .greater) ? next : best
            }
        case "lower", "upper":
            guard case .string(let s) = values[0] else { return .null }
            let range: ClosedRange<Unicode.Scalar> = name == "lower" ? "A"..."Z" : "a"..."z"
            let shift: Int32 = name == "lower" ? 32 : -32
            var out = String.UnicodeScalarView()
            for scalar in s.unicodeScalars {
                out.append(range.contains(scalar) ? Unicode.Scalar(UInt32(Int32(scalar.value) + shift))! : scalar)
            }
            return .string(String(out))
        case "length":
            guard case .string(let s) = values[0] else { return .null }
            return .int(Int64(s.unicodeScalars.count))
        default: preconditionFailure(name)
        }
    }
}

/// Builds random well-typed expressions of a requested type, recording which productions it used.
struct ExpressionGenerator {
    var random: SplitMix64
    var used: Set<String> = []

    static func productions(for type: DataType) -> Set<String> {
        switch type {
        case .int: ["neg", "+", "-", "*", "//", "%", "abs", "min", "max", "coalesce", "if", "length"]
        case .float: ["neg", "+", "-", "*", "/", "//", "%", "abs", "log", "exp", "sqrt", "pow", "min", "max", "coalesce", "if"]
        case .bool: ["not", "AND", "OR", "is null", "==", "!=", "<", "<=", ">", ">=", "=", "<>", "min", "coalesce", "if"]
        case .string: ["lower", "upper", "min", "max", "coalesce", "if"]
        }
    }

    mutating func pick<T>(_ options: [T]) -> T { random.choice(options) }

    mutating func make(_ type: DataType, depth: Int, nullLiteral: Bool = true) -> Generated {
        if depth == 0 || random.next() % 4 == 0 { return leaf(type, nullLiteral: nullLiteral) }
        let production = pick(Array(Self.productions(for: type)).sorted())
        used.insert(production)
        let d = depth - 1
        switch (type, production) {
        case (_, "neg"): return .negate(make(type, depth: d), type)
        case (.int, let op) where ["+", "-", "*", "//", "%"].contains(op):
            return .arithmetic(op, make(.int, depth: d), make(.int, depth: d), .int)
        case (.float, "/"):
            return .arithmetic("/", make(numeric(), depth: d), make(numeric(), depth: d), .float)
        case (.float, let op) where ["+", "-", "*", "//", "%"].contains(op):
            // At least one float operand, on either side.
            let (a, b) = random.next() % 2 == 0 ? (DataType.float, numeric()) : (numeric(), DataType.float)
            return .arithmetic(op, make(a, depth: d), make(b, depth: d), .float)
        case (_, "abs"): return .call("abs", [make(type, depth: d)], type)
        case (.float, let f) where ["log", "exp", "sqrt"].contains(f): return .call(f, [make(numeric(), depth: d)], .float)
        case (.float, "pow"): return .call("pow", [make(numeric(), depth: d), make(numeric(), depth: d)], .float)
        case (.int, "length"): return .call("length", [make(.string, depth: d)], .int)
        case (_, "min"), (_, "max"), (_, "coalesce"):
            let count = production == "coalesce" ? 1 + Int(random.next() % 3) : 2 + Int(random.next() % 2)
            var types = (0..<count).map { _ in type == .float ? numeric() : type }
            if type == .float { types[Int(random.next() % UInt64(count))] = .float }
            return .call(production, types.map { make($0, depth: d) }, type)
        case (_, "if"):
            let (a, b) = type == .float ? (numeric(), DataType.float) : (type, type)
            let branches = random.next() % 2 == 0 ? [a, b] : [b, a]
            return .call("if", [make(.bool, depth: d)] + branches.map { make($0, depth: d) }, type)
        case (.bool, "not"): return .not(make(.bool, depth: d))
        case (.bool, "AND"), (.bool, "OR"): return .logical(production, make(.bool, depth: d), make(.bool, depth: d))
        case (.bool, "is null"): return .isNull(make(pick(DataType.allCases), depth: d), negated: random.next() % 2 == 0)
        case (.bool, let op):
            // `x == null` is refused at bind time, so no bare null literal right under a comparison.
            let kind = pick(["number", "number", "string", "bool"])
            let (a, b): (DataType, DataType) =
                kind == "number" ? (numeric(), numeric()) : kind == "string" ? (.string, .string) : (.bool, .bool)
            return .comparison(op, make(a, depth: d, nullLiteral: false), make(b, depth: d, nullLiteral: false))
        case (.string, "lower"), (.string, "upper"): return .call(production, [make(.string, depth: d)], .string)
        default: preconditionFailure("no production \(production) for \(type)")
        }
    }

    mutating func numeric() -> DataType { random.next() % 2 == 0 ? .int : .float }

    mutating func leaf(_ type: DataType, nullLiteral: Bool) -> Generated {
        let r = random.next() % 10
        if nullLiteral && r == 0 { return .literal(.null, type) }
        if r < 5 {
            switch type {
            case .int: return .column(pick(["i1", "i2"]), .int)
            case .float: return .column(pick(["f1", "f2"]), .float)
            case .bool: return .column(pick(["b1", "b2"]), .bool)
            case .string: return .column(pick(["s1", "s2"]), .string)
            }
        }
        switch type {
        case .int: return .literal(.int(pick([0, 1, -1, 2, -3, 7, 1000])), .int)
        case .float: return .literal(.float(pick([0.0, 0.5, -2.5, 1e-3, 3.0, -0.0])), .float)
        case .bool: return .literal(.bool(random.next() % 2 == 0), .bool)
        case .string: return .literal(.string(pick(["tablet", "", "it's", "É", "zz"])), .string)
        }
    }
}
