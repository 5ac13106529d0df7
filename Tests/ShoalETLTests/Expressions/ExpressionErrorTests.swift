import Testing
@testable import ShoalETL

let clicksSchema = Schema([
    Field("price", .float), Field("device", .string), Field("dwell_ms", .int), Field("ts", .int),
    Field("country", .string), Field("is_bot", .bool),
])

/// The rendered error of parsing and binding `text` against `clicksSchema`, or nil if it is fine.
func renderedError(_ text: String, expecting: DataType? = nil) -> String? {
    do {
        _ = try ParsedExpression.parse(text).bind(to: clicksSchema, expecting: expecting)
        return nil
    } catch {
        return error.description
    }
}

@Suite struct ExpressionErrorTests {
    @Test func unknownColumnSuggestsTheClosestName() {
        #expect(
            renderedError("prise > 1.0 and device != 'tablet'") == """
                error: unknown column 'prise' (did you mean 'price'?)
                  prise > 1.0 and device != 'tablet'
                  ^~~~~
                """)
        #expect(
            renderedError("price > 1.0 and Device != 'tablet'") == """
                error: unknown column 'Device' (did you mean 'device'?)
                  price > 1.0 and Device != 'tablet'
                                  ^~~~~~
                """)
    }

    @Test func unknownColumnWithoutCloseNameListsTheColumns() {
        #expect(
            renderedError("revenue * 2") == """
                error: unknown column 'revenue' (the columns are 'price', 'device', 'dwell_ms', 'ts', 'country', 'is_bot')
                  revenue * 2
                  ^~~~~~~
                """)
    }

    @Test func stringComparedWithNumber() {
        #expect(
            renderedError("price > 1.0 and device > 1.5") == """
                error: cannot compare string with float
                  price > 1.0 and device > 1.5
                                  ^~~~~~~~~~~~
                """)
        #expect(
            renderedError("ts == country") == """
                error: cannot compare int with string
                  ts == country
                  ^~~~~~~~~~~~~
                """)
    }

    @Test func incompleteExpression() {
        #expect(
            renderedError("price >") == """
                error: expected a value after '>'
                  price >
                         ^
                """)
        #expect(
            renderedError("coalesce(price,") == """
                error: expected a value after ','
                  coalesce(price,
                                 ^
                """)
    }

    @Test func unbalancedParentheses() {
        #expect(
            renderedError("(price > 1.0 and is_bot") == """
                error: unclosed '(': expected ')'
                  (price > 1.0 and is_bot
                  ^
                """)
        #expect(
            renderedError("price > 1.0)") == """
                error: unmatched ')'
                  price > 1.0)
                             ^
                """)
        #expect(
            renderedError("abs(price") == """
                error: unclosed '(' of abs(…): expected ')'
                  abs(price
                     ^
                """)
        #expect(
            renderedError("abs(price ts)") == """
                error: expected ',' or ')', found 'ts'
                  abs(price ts)
                            ^~
                """)
    }

    @Test func unknownFunction() {
        #expect(
            renderedError("lowr(country) == 'us'") == """
                error: unknown function 'lowr' (did you mean 'lower'?)
                  lowr(country) == 'us'
                  ^~~~
                """)
        #expect(
            renderedError("strlen(country)") == """
                error: unknown function 'strlen' (the functions are abs, coalesce, exp, if, length, log, lower, max, min, pow, sqrt, upper)
                  strlen(country)
                  ^~~~~~
                """)
    }

    @Test func wrongArity() {
        #expect(
            renderedError("lower(country, device)") == """
                error: 'lower' takes 1 argument, got 2
                  lower(country, device)
                  ^~~~~~~~~~~~~~~~~~~~~~
                """)
        #expect(
            renderedError("1 + if(is_bot, 1)") == """
                error: 'if' takes 3 arguments, got 2
                  1 + if(is_bot, 1)
                      ^~~~~~~~~~~~~
                """)
        #expect(
            renderedError("min(price)") == """
                error: 'min' takes at least 2 arguments, got 1
                  min(price)
                  ^~~~~~~~~~
                """)
        #expect(
            renderedError("coalesce()") == """
                error: 'coalesce' takes at least 1 argument, got 0
                  coalesce()
                  ^~~~~~~~~~
                """)
    }

    @Test func logicOnNonBooleans() {
        #expect(
            renderedError("is_bot and dwell_ms") == """
                error: 'and' needs bool operands, got int
                  is_bot and dwell_ms
                             ^~~~~~~~
                """)
        #expect(
            renderedError("price or is_bot") == """
                error: 'or' needs bool operands, got float
                  price or is_bot
                  ^~~~~
                """)
        #expect(
            renderedError("not country") == """
                error: 'not' needs a bool operand, got string
                  not country
                      ^~~~~~~
                """)
    }

    @Test func unterminatedStringAndName() {
        #expect(
            renderedError("device == 'tablet") == """
                error: unterminated string (close it with ')
                  device == 'tablet
                            ^~~~~~~
                """)
        #expect(
            renderedError("`my col > 1") == """
                error: unterminated column name (close it with `)
                  `my col > 1
                  ^~~~~~~~~~~
                """)
    }

    @Test func arithmeticAndFunctionArgumentTypes() {
        #expect(
            renderedError("price + device") == """
                error: '+' needs numbers, got string
                  price + device
                          ^~~~~~
                """)
        #expect(
            renderedError("-is_bot") == """
                error: '-' needs numbers, got bool
                  -is_bot
                   ^~~~~~
                """)
        #expect(
            renderedError("upper(ts)") == """
                error: 'upper' needs a string, got int
                  upper(ts)
                        ^~
                """)
        #expect(
            renderedError("log(device)") == """
                error: 'log' needs a number, got string
                  log(device)
                      ^~~~~~
                """)
        #expect(
            renderedError("if(ts, 1, 2)") == """
                error: the condition of 'if' must be bool, got int
                  if(ts, 1, 2)
                     ^~
                """)
        #expect(
            renderedError("if(is_bot, price, device)") == """
                error: 'if' branches must have the same type, got float and string
                  if(is_bot, price, device)
                                    ^~~~~~
                """)
        #expect(
            renderedError("coalesce(ts, price, 'none')") == """
                error: 'coalesce' arguments must have the same type, got float and string
                  coalesce(ts, price, 'none')
                                      ^~~~~~
                """)
    }

    @Test func comparingWithNullSuggestsIsNull() {
        #expect(
            renderedError("dwell_ms + 1 == null") == """
                error: comparing with null gives null, never true; write 'dwell_ms + 1 is null'
                  dwell_ms + 1 == null
                  ^~~~~~~~~~~~~~~~~~~~
                """)
        #expect(
            renderedError("null <> device") == """
                error: comparing with null gives null, never true; write 'device is not null'
                  null <> device
                  ^~~~~~~~~~~~~~
                """)
    }

    @Test func otherSyntaxErrors() {
        #expect(
            renderedError("price 1.0") == """
                error: expected an operator or the end of the expression, found '1.0'
                  price 1.0
                        ^~~
                """)
        #expect(
            renderedError("a < b < c") == """
                error: comparisons do not chain; combine them with 'and' (a < b and b < c)
                  a < b < c
                        ^
                """)
        #expect(
            renderedError("price > 1 && is_bot") == """
                error: unexpected '&&' (write 'and')
                  price > 1 && is_bot
                            ^~
                """)
        #expect(
            renderedError("price $ 2") == """
                error: unexpected character '$'
                  price $ 2
                        ^
                """)
        #expect(
            renderedError("ts is 3") == """
                error: expected 'null' or 'not null' after 'is', found '3'
                  ts is 3
                     ^~~~
                """)
        #expect(
            renderedError("3abc + 1") == """
                error: malformed number '3abc'
                  3abc + 1
                  ^~~~
                """)
        #expect(
            renderedError("price > 1.2.3") == """
                error: malformed number '1.2.3'
                  price > 1.2.3
                          ^~~~~
                """)
        #expect(
            renderedError("price + ! is_bot") == """
                error: unexpected '!' (write 'not' for negation, '!=' for not equal)
                  price + ! is_bot
                          ^
                """)
        #expect(
            renderedError("`` + 1") == """
                error: empty column name
                  `` + 1
                  ^~
                """)
        #expect(
            renderedError("ts > 9223372036854775808") == """
                error: integer '9223372036854775808' does not fit in an int (64 bits); write it as a float (1e19)
                  ts > 9223372036854775808
                       ^~~~~~~~~~~~~~~~~~~
                """)
        #expect(
            renderedError("price * 1e999") == """
                error: number '1e999' is out of range for a float
                  price * 1e999
                          ^~~~~
                """)
        #expect(renderedError("   ") == "error: empty expression\n     \n     ^")
        #expect(
            renderedError("price > (1 +)") == """
                error: expected a value, found ')'
                  price > (1 +)
                              ^
                """)
    }

    @Test func resultTypeMustMatchWhatTheCallerExpects() {
        #expect(
            renderedError("price * 2", expecting: .bool) == """
                error: expected a bool expression, got float
                  price * 2
                  ^~~~~~~~~
                """)
        #expect(renderedError("ts * 2", expecting: .float) == nil)
        #expect(renderedError("is_bot", expecting: .bool) == nil)
    }

    @Test func multiLineExpressionsShowTheFailingLine() throws {
        let text = "price > 1.0\n  and devise != 'tablet'"
        let error = try #require(renderedError(text))
        #expect(
            error == """
                error: unknown column 'devise' (did you mean 'device'?)
                    and devise != 'tablet'
                        ^~~~~~
                """)
        do {
            _ = try ParsedExpression.parse(text).bind(to: clicksSchema)
            Issue.record("bound an expression with an unknown column")
        } catch {
            #expect(error.location == (2, 7))
            #expect(error.range == 18..<24)
            #expect(error.message == "unknown column 'devise' (did you mean 'device'?)")
            #expect(error.expression == text)
        }
    }

    @Test func errorsComeBeforeAnyDataAndInReadingOrder() {
        // Both sides are wrong; the left one is reported.
        #expect(renderedError("nope + price > 'x'")?.hasPrefix("error: unknown column 'nope'") == true)
    }

    @Test func deepNestingIsAnErrorNotACrash() throws {
        let fine = String(repeating: "(", count: 150) + "price" + String(repeating: ")", count: 150)
        #expect(renderedError(fine) == nil)
        #expect(renderedError(String(repeating: "not ", count: 150) + "is_bot") == nil)
        let deep = String(repeating: "(", count: 5000) + "price" + String(repeating: ")", count: 5000)
        let message = try #require(renderedError(deep))
        #expect(message.hasPrefix("error: expression nests too deeply (more than 256 levels of parentheses and operators)\n"))
        let negations = try #require(renderedError(String(repeating: "- ", count: 5000) + "price"))
        #expect(negations.hasPrefix("error: expression nests too deeply"))
        // A long flat chain is a deep tree too.
        #expect(renderedError(Array(repeating: "price", count: 200).joined(separator: " + ")) == nil)
        let sum = try #require(renderedError(Array(repeating: "price", count: 5000).joined(separator: " * ")))
        #expect(sum.hasPrefix("error: expression nests too deeply"))
        let conjunction = try #require(renderedError(Array(repeating: "is_bot", count: 5000).joined(separator: " and ")))
        #expect(conjunction.hasPrefix("error: expression nests too deeply"))
    }
}
