import Foundation
import Testing
@testable import ShoalETL

/// Evaluates `text` over `batch` (schema from the batch) and returns the values row by row.
func values(_ text: String, _ batch: ColumnBatch, expecting: DataType? = nil) throws -> [Value] {
    let bound = try ParsedExpression.parse(text).bind(to: batch.schema, expecting: expecting)
    let column = bound.evaluate(on: batch)
    #expect(column.count == batch.count)
    #expect(column.type == bound.type)
    return (0..<column.count).map { column.value(at: $0) }
}

/// A batch from columns of `Value`s (nil-free types inferred from the first non-null value, or given).
func batch(_ columns: KeyValuePairs<String, (DataType, [Value])>) -> ColumnBatch {
    ColumnBatch(names: columns.map(\.key), columns: columns.map { column(of: $0.value.0, $0.value.1) })
}

func column(of type: DataType, _ values: [Value]) -> Column {
    let validity = values.map { !$0.isNull }
    switch type {
    case .int: return Column(.int(values.map { if case .int(let v) = $0 { v } else { 0 } }), validity: validity)
    case .float: return Column(.float(values.map { if case .float(let v) = $0 { v } else { 0 } }), validity: validity)
    case .bool: return Column(.bool(values.map { if case .bool(let v) = $0 { v } else { false } }), validity: validity)
    case .string:
        return Column(.string(StringColumn(values.map { if case .string(let v) = $0 { v } else { "" } })), validity: validity)
    }
}

@Suite struct ExpressionEvaluationTests {
    @Test func threeValuedLogicTruthTables() throws {
        // Every pair of (true, false, null) for a and b.
        let t = Value.bool(true)
        let f = Value.bool(false)
        let n = Value.null
        let a: [Value] = [t, t, t, f, f, f, n, n, n]
        let b: [Value] = [t, f, n, t, f, n, t, f, n]
        let input = batch(["a": (.bool, a), "b": (.bool, b)])
        #expect(try values("a and b", input) == [t, f, n, f, f, f, n, f, n])
        #expect(try values("a or b", input) == [t, t, t, t, f, n, t, n, n])
        #expect(try values("not a", input) == [f, f, f, t, t, t, n, n, n])
        #expect(try values("a is null", input) == [f, f, f, f, f, f, t, t, t])
        #expect(try values("b is not null", input) == [t, t, f, t, t, f, t, t, f])
        // Against literals, folded at bind time or not.
        #expect(try values("a and null", input) == [n, n, n, f, f, f, n, n, n])
        #expect(try values("a or null", input) == [t, t, t, n, n, n, n, n, n])
        #expect(try values("null and false", input) == Array(repeating: f, count: 9))
        #expect(try values("null or true", input) == Array(repeating: t, count: 9))
        #expect(try values("a and false", input) == Array(repeating: f, count: 9))
        #expect(try values("b or true", input) == Array(repeating: t, count: 9))
        #expect(try values("a and true", input) == a)
        #expect(try values("not null", input) == Array(repeating: n, count: 9))
    }

    @Test func filterKeepsOnlyTrueRows() throws {
        let input = batch([
            "a": (.bool, [.bool(true), .bool(false), .null, .bool(true)]),
            "x": (.int, [.int(1), .int(2), .int(3), .null]),
        ])
        let bound = try ParsedExpression.parse("a or x > 2").bind(to: input.schema, expecting: .bool)
        #expect(bound.selection(on: input) == [0, 2, 3])
        let inOneStep = try BoundExpression("a or x > 2", schema: input.schema, expecting: .bool)
        #expect(inOneStep.selection(on: input) == [0, 2, 3])
        #expect(throws: ExpressionError.self) { try BoundExpression("x", schema: input.schema, expecting: .bool) }
        let kept = bound.filter(input)
        #expect(kept.count == 3)
        #expect(kept["x"]?.value(at: 1) == .int(3))
        let none = try ParsedExpression.parse("x > 1 and false").bind(to: input.schema, expecting: .bool)
        #expect(none.constantValue == .bool(false))
        #expect(none.selection(on: input) == [])
        #expect(none.columns.isEmpty)
        let all = try ParsedExpression.parse("true or a").bind(to: input.schema)
        #expect(all.selection(on: input) == [0, 1, 2, 3])
        #expect(all.filter(input) == input)
    }

    @Test func divisionByZeroIsNull() throws {
        let input = batch([
            "i": (.int, [.int(7), .int(-7), .int(0), .int(5), .null]),
            "d": (.int, [.int(0), .int(2), .int(0), .null, .int(1)]),
            "f": (.float, [.float(1.5), .float(-1.5), .float(0), .float(2), .float(3)]),
        ])
        #expect(try values("i / d", input) == [.null, .float(-3.5), .null, .null, .null])
        #expect(try values("i // d", input) == [.null, .int(-4), .null, .null, .null])
        #expect(try values("i % d", input) == [.null, .int(1), .null, .null, .null])
        #expect(try values("f / (d * 1.0)", input) == [.null, .float(-0.75), .null, .null, .float(3)])
        #expect(try values("f // 0", input) == Array(repeating: .null, count: 5))
        #expect(try values("i % 0.0", input) == Array(repeating: .null, count: 5))
        #expect(try values("i / 0", input) == Array(repeating: .null, count: 5))
        #expect(try values("1 // 0 is null", input) == Array(repeating: .bool(true), count: 5))
    }

    @Test func floorDivisionAndModuloFollowPython() throws {
        let pairs: [(Int64, Int64, Int64, Int64)] = [
            // a, b, a // b, a % b (as Python gives them)
            (7, 2, 3, 1), (-7, 2, -4, 1), (7, -2, -4, -1), (-7, -2, 3, -1), (6, -3, -2, 0), (-6, 3, -2, 0),
            (0, -5, 0, 0), (.min, -1, .min, 0), (.min, 1, .min, 0), (.max, -1, -.max, 0), (.min, .max, -2, .max - 1),
        ]
        let input = batch([
            "a": (.int, pairs.map { .int($0.0) }), "b": (.int, pairs.map { .int($0.1) }),
        ])
        #expect(try values("a // b", input) == pairs.map { .int($0.2) })
        #expect(try values("a % b", input) == pairs.map { .int($0.3) })
        #expect(try values("-7 // 2", batch([:])) == [])
        let one = ColumnBatch(names: ["z"], columns: [Column(.int([0]))])
        #expect(try values("-7 // 2", one) == [.int(-4)])
        #expect(try values("7 % -2", one) == [.int(-1)])
        // Floats, as CPython's float_divmod.
        #expect(try values("-7.5 // 2", one) == [.float(-4)])
        #expect(try values("-7.5 % 2", one) == [.float(0.5)])
        #expect(try values("7.5 % -2", one) == [.float(-0.5)])
        #expect(try values("1 // 0.1", one) == [.float(9)])
        #expect(try values("1 % 0.1", one) == [.float(0.09999999999999995)])
        #expect(try values("(ts // 3600) % 24", batch(["ts": (.int, [.int(-1), .int(90_000), .int(3599)])])) == [
            .int(23), .int(1), .int(0),
        ])
    }

    @Test func integerOverflowWraps() throws {
        let input = batch(["x": (.int, [.int(.max), .int(.min), .int(3)])])
        #expect(try values("x + 1", input) == [.int(.min), .int(.min + 1), .int(4)])
        #expect(try values("x - 1", input) == [.int(.max - 1), .int(.max), .int(2)])
        #expect(try values("x * 2", input) == [.int(-2), .int(0), .int(6)])
        #expect(try values("-x", input) == [.int(.min + 1), .int(.min), .int(-3)])
        #expect(try values("abs(x)", input) == [.int(.max), .int(.min), .int(3)])
        #expect(try values("9223372036854775807 + 1", input) == Array(repeating: .int(.min), count: 3))
    }

    @Test func typesAndPromotion() throws {
        let input = batch(["i": (.int, [.int(3)]), "f": (.float, [.float(0.5)])])
        let cases: [(String, DataType, Value)] = [
            ("i + i", .int, .int(6)), ("i * f", .float, .float(1.5)), ("i / 2", .float, .float(1.5)),
            ("i // 2", .int, .int(1)), ("i % 2", .int, .int(1)), ("i // 2.0", .float, .float(1)),
            ("i > f", .bool, .bool(true)), ("i == 3.0", .bool, .bool(true)), ("-f", .float, .float(-0.5)),
            ("abs(-f)", .float, .float(0.5)), ("min(i, f)", .float, .float(0.5)), ("max(i, 7)", .int, .int(7)),
            ("coalesce(null, i, f)", .float, .float(3)), ("if(true, i, f)", .float, .float(3)),
            ("pow(i, 2)", .float, .float(9)), ("length('héllo')", .int, .int(5)), ("null", .int, .null),
            ("null + f", .float, .null), ("coalesce(null, null)", .int, .null), ("-null", .int, .null),
            ("true < false", .bool, .bool(false)), ("false < true", .bool, .bool(true)),
            ("'b' > 'abc'", .bool, .bool(true)), ("'ab' < 'abc'", .bool, .bool(true)),
        ]
        for (text, type, value) in cases {
            let bound = try ParsedExpression.parse(text).bind(to: input.schema)
            #expect(bound.type == type, "\(text)")
            #expect(bound.evaluate(on: input).value(at: 0) == value, "\(text)")
        }
    }

    @Test func functionsAtTheirEdges() throws {
        let input = batch([
            "x": (.float, [.float(-1), .float(0), .float(1), .float(4), .null]),
            "s": (.string, [.string("Hello"), .string("ÉCOLE école"), .string(""), .null, .string("MiXeD 42")]),
        ])
        #expect(try values("log(x)", input) == [.null, .null, .float(0), .float(Foundation.log(4)), .null])
        #expect(try values("sqrt(x)", input) == [.null, .float(0), .float(1), .float(2), .null])
        #expect(try values("exp(x) > 0", input) == [.bool(true), .bool(true), .bool(true), .bool(true), .null])
        #expect(try values("pow(x, 0.5)", input) == [.null, .float(0), .float(1), .float(2), .null])
        #expect(try values("pow(x, -1)", input) == [.float(-1), .null, .float(1), .float(0.25), .null])
        #expect(try values("pow(x, 3)", input) == [.float(-1), .float(0), .float(1), .float(64), .null])
        #expect(try values("lower(s)", input) == [
            .string("hello"), .string("École école"), .string(""), .null, .string("mixed 42"),
        ])
        #expect(try values("upper(s)", input) == [
            .string("HELLO"), .string("ÉCOLE éCOLE"), .string(""), .null, .string("MIXED 42"),
        ])
        #expect(try values("length(s)", input) == [.int(5), .int(11), .int(0), .null, .int(8)])
        #expect(try values("min(x, 2, 1.5)", input) == [.float(-1), .float(0), .float(1), .float(1.5), .null])
        #expect(try values("max(s, 'I')", input) == [.string("I"), .string("ÉCOLE école"), .string("I"), .null, .string("MiXeD 42")])
        #expect(try values("min(s, 'I')", input) == [.string("Hello"), .string("I"), .string(""), .null, .string("I")])
        #expect(try values("coalesce(s, 'none')", input) == [
            .string("Hello"), .string("ÉCOLE école"), .string(""), .string("none"), .string("MiXeD 42"),
        ])
        #expect(try values("if(x > 0, s, 'neg')", input) == [
            .string("neg"), .string("neg"), .string(""), .null, .string("neg"),
        ])
        #expect(try values("if(x is null, -1, x)", input) == [.float(-1), .float(0), .float(1), .float(4), .float(-1)])
    }

    @Test func stringComparisonsUseBytes() throws {
        let input = batch(["s": (.string, [.string("tablet"), .string("tablets"), .string("Tablet"), .string("é"), .null])])
        #expect(try values("s == 'tablet'", input) == [.bool(true), .bool(false), .bool(false), .bool(false), .null])
        #expect(try values("'tablet' != s", input) == [.bool(false), .bool(true), .bool(true), .bool(true), .null])
        #expect(try values("s < 'tablet'", input) == [.bool(false), .bool(false), .bool(true), .bool(false), .null])
        #expect(try values("'tablet' <= s", input) == [.bool(true), .bool(true), .bool(false), .bool(true), .null])
        #expect(try values("s > 'z'", input) == [.bool(false), .bool(false), .bool(false), .bool(true), .null])
        #expect(try values("s == lower(s)", input) == [.bool(true), .bool(true), .bool(false), .bool(true), .null])
        #expect(try values("s == ''", batch(["s": (.string, [.string(""), .string("x")])])) == [.bool(true), .bool(false)])
    }

    @Test func constantsAreFoldedAndColumnsListed() throws {
        let schema = Schema([Field("a", .int), Field("b", .int), Field("c", .string)])
        let folded = try ParsedExpression.parse("(1 + 2) * 3 > 8 and lower('X') == 'x'").bind(to: schema)
        #expect(folded.constantValue == .bool(true))
        #expect(try ParsedExpression.parse("if(1 > 2, a, b)").bind(to: schema).columns == ["b"])
        #expect(try ParsedExpression.parse("coalesce(a, 0, b)").bind(to: schema).columns == ["a"])
        #expect(try ParsedExpression.parse("a + b * 0 > 1 or c is null").bind(to: schema).columns == ["a", "b", "c"])
        #expect(try ParsedExpression.parse("a + null").bind(to: schema).constantValue == .null)
        let input = ColumnBatch(names: ["a", "b", "c"], columns: [Column(.int([1, 2])), Column(.int([3, 4])), Column(.string(StringColumn(["p", "q"])))])
        #expect(try values("1 + 2", input) == [.int(3), .int(3)])
        #expect(try values("'lit'", input) == [.string("lit"), .string("lit")])
        #expect(try values("a + null", input) == [.null, .null])
    }

    @Test func resultsKeepThePlaceholderInNullSlots() throws {
        let input = batch(["x": (.int, [.int(5), .null, .int(0)]), "s": (.string, [.null, .string("a"), .null])])
        let bound = try ParsedExpression.parse("100 // x").bind(to: input.schema)
        #expect(bound.evaluate(on: input) == Column(.int([20, 0, 0]), validity: [true, false, false]))
        let strings = try ParsedExpression.parse("if(x > 1, 'big', s)").bind(to: input.schema).evaluate(on: input)
        #expect(strings == Column(.string(StringColumn(["big", "a", ""])), validity: [true, true, false]))
    }

    @Test func batchMayHoldOtherColumnsInAnyOrder() throws {
        let schema = Schema([Field("a", .int), Field("b", .float)])
        let bound = try ParsedExpression.parse("a * b").bind(to: schema)
        let input = ColumnBatch(
            names: ["zzz", "b", "a"], columns: [Column(.bool([true, false])), Column(.float([0.5, 2])), Column(.int([4, 5]))])
        #expect(bound.evaluate(on: input) == Column(.float([2, 10])))
        #expect(bound.columns == ["a", "b"])
        #expect(bound.evaluate(on: ColumnBatch(names: ["a", "b"], columns: [Column(.int([])), Column(.float([]))])).count == 0)
    }

    @Test func chunksAreStitchedTogether() throws {
        // Nulls only in the last chunks, strings of varying length, and a selection crossing boundaries.
        let n = 100
        let x: [Value] = (0..<n).map { $0 >= 80 && $0 % 3 == 0 ? .null : .int(Int64($0)) }
        let s: [Value] = (0..<n).map { .string(String(repeating: "ab", count: $0 % 5)) }
        let input = batch(["x": (.int, x), "s": (.string, s)])
        let wide = try ParsedExpression.parse("if(x % 2 == 0, upper(s), s)").bind(to: input.schema)
        let expected = (0..<n).map { i -> Value in
            if x[i].isNull { return s[i] }
            let text = String(repeating: "ab", count: i % 5)
            return .string(i % 2 == 0 ? text.uppercased() : text)
        }
        for chunkRows in [1, 16, 64, 4096] {
            let result = wide.evaluate(on: input, chunkRows: chunkRows)
            #expect((0..<n).map { result.value(at: $0) } == expected, "chunks of \(chunkRows)")
            let doubled = try ParsedExpression.parse("x * 2").bind(to: input.schema).evaluate(on: input, chunkRows: chunkRows)
            let twice: [Value] = x.map { value in
                if case .int(let v) = value { return .int(v * 2) }
                return .null
            }
            #expect(doubled == column(of: .int, twice))
            let predicate = try ParsedExpression.parse("x % 7 == 0").bind(to: input.schema)
            let multiples: [Int32] = (0..<n).filter { $0 % 7 == 0 && !x[$0].isNull }.map { Int32($0) }
            #expect(predicate.selection(on: input, chunkRows: chunkRows) == multiples)
        }
    }

    @Test func rowsWhereTrueSkipsFalseAndNull() {
        let column = Column(.bool([true, false, true, true, false]), validity: [true, true, false, true, true])
        #expect(column.rowsWhereTrue() == [0, 3])
        #expect(Column(.bool([false, true, true])).rowsWhereTrue() == [1, 2])
        #expect(Column(.bool([])).rowsWhereTrue() == [])
    }

    @Test func placeholdersAreClearedWithoutTouchingTheInput() throws {
        // A reader that leaves junk in null slots: results still hold placeholders, and the batch is unchanged.
        let input = ColumnBatch(
            names: ["x", "f", "b", "s"],
            columns: [
                Column(.int([7, 8, 9]), validity: [true, false, true]),
                Column(.float([1.5, .nan, 2]), validity: [true, false, true]),
                Column(.bool([true, true, false]), validity: [false, true, true]),
                Column(.string(StringColumn(["a", "junk", "c"])), validity: [true, false, true]),
            ])
        let before = input
        for (text, expected) in [
            ("x", Column(.int([7, 0, 9]), validity: [true, false, true])),
            ("b", Column(.bool([false, true, false]), validity: [false, true, true])),
            ("s", Column(.string(StringColumn(["a", "", "c"])), validity: [true, false, true])),
            ("x + 1", Column(.int([8, 0, 10]), validity: [true, false, true])),
        ] {
            let bound = try ParsedExpression.parse(text).bind(to: input.schema)
            #expect(bound.evaluate(on: input) == expected, "\(text)")
            #expect(bound.evaluate(on: input, chunkRows: 1) == expected, "\(text) in chunks")
            #expect(bound.evaluate(on: input, chunkRows: 2) == expected, "\(text) in chunks")
        }
        let floats = try ParsedExpression.parse("f").bind(to: input.schema)
        #expect(floats.evaluate(on: input).data == .float([1.5, 0, 2]))
        #expect(floats.evaluate(on: input, chunkRows: 2).data == .float([1.5, 0, 2]))
        #expect(input.columns[0] == before.columns[0])
        #expect(input.columns[2] == before.columns[2])
        #expect(input.columns[3] == before.columns[3])
        guard case .float(let original) = input.columns[1].data else {
            Issue.record("not floats")
            return
        }
        #expect(original[1].isNaN)
    }

    @Test func largeIntegerFloorDivisionIsExact() throws {
        // Operands up to 2^53 take the float-division path; beyond, the integer one. Both must match the
        // integer definition exactly.
        var random = SplitMix64(seed: 53)
        func randomPairs(below magnitude: UInt64) -> [(Int64, Int64)] {
            (0..<1000).map { _ in
                let a = Int64(random.next() % magnitude) * (random.next() % 2 == 0 ? 1 : -1)
                let scale = UInt64(1) << (random.next() % 53)
                return (a, Int64(1 + random.next() % scale) * (random.next() % 2 == 0 ? 1 : -1))
            }
        }
        var small = randomPairs(below: (1 << 53) - 1)
        // Quotients next to an integer, where a wrongly rounded float quotient would cross over.
        for d: Int64 in [3, 7, 12345, 1 << 20] {
            for q: Int64 in [3, 1 << 20, (1 << 53) / d - 2] {
                small += [(q * d - 1, d), (q * d, d), (q * d + 1, d), (-(q * d) + 1, d), (q * d - 1, -d)]
            }
        }
        for pairs in [small, randomPairs(below: UInt64(Int64.max))] {
            let a = pairs.map(\.0)
            let b = pairs.map(\.1)
            let half = 0..<pairs.count
            let input = batch([
                "a": (.int, half.map { .int(a[$0]) }), "b": (.int, half.map { .int(b[$0]) }),
            ])
            let quotients = try values("a // b", input)
            let remainders = try values("a % b", input)
            for (k, i) in half.enumerated() {
                var q = a[i] / b[i]
                if q &* b[i] != a[i] && ((a[i] < 0) != (b[i] < 0)) { q -= 1 }
                #expect(quotients[k] == .int(q), "\(a[i]) // \(b[i])")
                #expect(remainders[k] == .int(a[i] &- q &* b[i]), "\(a[i]) % \(b[i])")
            }
        }
    }
}
