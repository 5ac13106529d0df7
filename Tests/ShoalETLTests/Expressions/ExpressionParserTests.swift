import Testing
@testable import ShoalETL

/// The tree as a fully parenthesised prefix form, so a test states the exact shape it expects.
func tree(_ text: String) throws -> String {
    func render(_ node: ParsedExpression.Node) -> String {
        switch node.kind {
        case .literal(let value):
            switch value {
            case .string(let s): return "'\(s)'"
            case .float(let v): return "\(v)f"
            default: return value.description
            }
        case .column(let name): return "$\(name)"
        case .negate(let operand): return "(neg \(render(operand)))"
        case .not(let operand): return "(not \(render(operand)))"
        case .isNull(let operand, let negated): return "(\(negated ? "notnull" : "isnull") \(render(operand)))"
        case .binary(let op, let l, let r): return "(\(op.rawValue) \(render(l)) \(render(r)))"
        case .call(let name, let arguments): return "(\(name)\(arguments.map { " " + render($0) }.joined()))"
        }
    }
    return render(try ParsedExpression.parse(text).root)
}

@Suite struct ExpressionParserTests {
    @Test(arguments: [
        ("a or b and c", "(or $a (and $b $c))"),
        ("a and b or c", "(or (and $a $b) $c)"),
        ("not a and b", "(and (not $a) $b)"),
        ("not x < 3 or y is not null", "(or (not (< $x 3)) (notnull $y))"),
        ("not (x < 3 or y is not null)", "(not (or (< $x 3) (notnull $y)))"),
        ("a + b * c", "(+ $a (* $b $c))"),
        ("a * b + c", "(+ (* $a $b) $c)"),
        ("a - b - c", "(- (- $a $b) $c)"),
        ("a - (b - c)", "(- $a (- $b $c))"),
        ("a / b // c % d", "(% (// (/ $a $b) $c) $d)"),
        ("(ts // 3600) % 24", "(% (// $ts 3600) 24)"),
        ("-a * b", "(* (neg $a) $b)"),
        ("- - a", "(neg (neg $a))"),
        ("a + b is null", "(isnull (+ $a $b))"),
        ("a is null == b is not null", "(== (isnull $a) (notnull $b))"),
        ("a < b + 1", "(< $a (+ $b 1))"),
        ("price / (dwell_ms / 1000)", "(/ $price (/ $dwell_ms 1000))"),
        ("price > 1.0 and device != 'tablet'", "(and (> $price 1.0f) (!= $device 'tablet'))"),
        ("if(dwell_ms is null, 0, dwell_ms)", "(if (isnull $dwell_ms) 0 $dwell_ms)"),
        ("coalesce(a, b, 0)", "(coalesce $a $b 0)"),
        ("lower(country) == 'us'", "(== (lower $country) 'us')"),
        ("pow(2, -x)", "(pow 2 (neg $x))"),
        ("now()", "(now)"),
        ("not not a", "(not (not $a))"),
        ("x is null is not null", "(notnull (isnull $x))"),
    ])
    func precedenceAndAssociativity(text: String, expected: String) throws {
        #expect(try tree(text) == expected)
    }

    @Test(arguments: [
        ("42", "42"),
        ("0", "0"),
        ("1.0", "1.0f"),
        (".5", "0.5f"),
        ("5.", "5.0f"),
        ("1e-3", "0.001f"),
        ("2.5E+2", "250.0f"),
        ("1e3", "1000.0f"),
        ("-7", "-7"),
        ("-2.5", "-2.5f"),
        ("-9223372036854775808", "-9223372036854775808"),
        ("9223372036854775807", "9223372036854775807"),
        ("'it''s'", "'it's'"),
        ("\"say \"\"hi\"\"\"", "'say \"hi\"'"),
        ("'double \" inside single'", "'double \" inside single'"),
        ("''", "''"),
        ("'ünï €'", "'ünï €'"),
        ("true", "true"),
        ("FALSE", "false"),
        ("Null", "null"),
        ("`my col`", "$my col"),
        ("`a``b`", "$a`b"),
        ("`and`", "$and"),
        ("_x1", "$_x1"),
        ("città", "$città"),
    ])
    func literalsAndNames(text: String, expected: String) throws {
        #expect(try tree(text) == expected)
    }

    @Test func keywordsAndFunctionNamesIgnoreCase() throws {
        #expect(try tree("A AND NOT B Or c IS NOT NULL") == "(or (and $A (not $B)) (notnull $c))")
        #expect(try tree("LOWER(x) = 'us'") == "(== (lower $x) 'us')")
        #expect(try tree("Coalesce(a, TRUE)") == "(coalesce $a true)")
    }

    @Test func alternativeSpellingsOfEqualityOperators() throws {
        #expect(try tree("a = 1") == "(== $a 1)")
        #expect(try tree("a <> 1") == "(!= $a 1)")
        #expect(try tree("a<=1") == "(<= $a 1)")
        #expect(try tree("a>=1") == "(>= $a 1)")
    }

    @Test func rangesCoverTheSourceText() throws {
        let e = try ParsedExpression.parse("  price  >  1.0 ")
        #expect(e.root.range == 2..<15)
        guard case .binary(_, let left, let right) = e.root.kind else {
            Issue.record("not a binary node")
            return
        }
        #expect(left.range == 2..<7)
        #expect(right.range == 12..<15)
        let call = try ParsedExpression.parse("x + LOWER( s )").root
        guard case .binary(_, _, let c) = call.kind else {
            Issue.record("not a binary node")
            return
        }
        #expect(c.range == 4..<14)
    }

    @Test(arguments: [
        "price > 1.0 and device != 'tablet'",
        "(ts // 3600) % 24",
        "price / (dwell_ms / 1000)",
        "if(dwell_ms is null, 0, dwell_ms)",
        "lower(country) == 'us'",
        "coalesce(a, b, 0)",
        "not (x < 3 or y is not null)",
        "a - (b - c) - d",
        "-(5) * -x + - -3",
        "`my col` + `and` - `a``b`",
        "'it''s' == s",
        "(a or b) and (c or not d)",
        "(a < b) == (c >= d)",
        "x is null is null",
        "1e-05 + 2.5e+20 + 0.5 - -0.0",
        "min(a, b, 3) // -2 % 7",
        "not not (a and b)",
        "-9223372036854775808 + 9223372036854775807",
    ])
    func printingRoundTrips(text: String) throws {
        let parsed = try ParsedExpression.parse(text)
        let printed = parsed.description
        let reparsed = try ParsedExpression.parse(printed)
        #expect(try tree(printed) == tree(text), "printed as \(printed)")
        #expect(reparsed.description == printed)
    }

    @Test func printingIsCanonical() throws {
        #expect(try ParsedExpression.parse("A AND (b) OR ((c))").description == "A and b or c")
        #expect(try ParsedExpression.parse("x = 1 or y <> \"q\"").description == "x == 1 or y != 'q'")
        #expect(try ParsedExpression.parse("(a - b) - c").description == "a - b - c")
        #expect(try ParsedExpression.parse("a - (b - c)").description == "a - (b - c)")
        #expect(try ParsedExpression.parse("not (a and b)").description == "not (a and b)")
        #expect(try ParsedExpression.parse("(not a) and b").description == "not a and b")
        #expect(try ParsedExpression.parse("(a + b) is null").description == "a + b is null")
        #expect(try ParsedExpression.parse("-(a + b)").description == "-(a + b)")
        #expect(try ParsedExpression.parse("`my col` > 1").description == "`my col` > 1")
    }

    @Test func columnNamesBeforeBinding() throws {
        #expect(try ParsedExpression.parse("if(a is null, b, c + a)").columnNames == ["a", "b", "c"])
        #expect(try ParsedExpression.parse("1 + 2").columnNames == [])
    }
}
