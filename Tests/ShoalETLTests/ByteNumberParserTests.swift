import Foundation
import Testing

@testable import ShoalETL

@Suite struct ByteNumberParserTests {
    func int(_ s: String) -> Int64? {
        var s = s
        return s.withUTF8 { ByteNumberParser.int($0.baseAddress!, $0.count) }
    }

    func double(_ s: String) -> Double? {
        var s = s
        return s.withUTF8 { ByteNumberParser.double($0.baseAddress!, $0.count) }
    }

    func strtodReference(_ s: String) -> Double { strtod(s, nil) }

    @Test func intsAndTheirLimits() {
        #expect(int("0") == 0)
        #expect(int("-17") == -17)
        #expect(int("+42") == 42)
        #expect(int("007") == 7)
        #expect(int("9223372036854775807") == .max)
        #expect(int("-9223372036854775808") == .min)
        #expect(int("9223372036854775808") == nil)
        #expect(int("-9223372036854775809") == nil)
        #expect(int("99999999999999999999") == nil)
        #expect(int("000000000000000000000000001") == 1)
        for bad in ["", "-", "+", "1.0", " 1", "1 ", "1e3", "0x10", "12a"] { #expect(int(bad) == nil, "\(bad)") }
    }

    @Test func floatsMatchStrtodBitForBitOnRandomValues() {
        var rng = SplitMix64(seed: 7)
        var checked = 0
        for _ in 0..<40_000 {
            let bits = rng.next()
            let text: String
            switch bits % 5 {
            case 0:  // any finite double, shortest round-trip form
                let d = Double(bitPattern: rng.next())
                if !d.isFinite { continue }
                text = "\(d)"
            case 1:  // fixed decimals, like price and features
                let d = Double(Int64(bitPattern: rng.next()) % 100_000_000) / 10_000
                text = String(format: "%.4f", d)
            case 2:  // many digits: goes past the fast path
                text = String(format: "%.\(Int(rng.next() % 25))e", Double(bitPattern: rng.next() >> 2))
            case 3:  // random digit strings with exponents
                let digits = (0..<(1 + rng.next() % 22)).map { _ in String(rng.next() % 10) }.joined()
                let point = Int(rng.next() % UInt64(digits.count + 1))
                let mantissa = String(digits.prefix(point)) + "." + String(digits.dropFirst(point))
                let e = Int(rng.next() % 80) - 40
                text = (mantissa == "." ? "0" : mantissa) + "e\(e)"
            default:
                text = String(Int64(bitPattern: rng.next()) >> Int(rng.next() % 60))
            }
            let ours = double(text)
            #expect(ours?.bitPattern == strtodReference(text).bitPattern, "\(text)")
            checked += 1
        }
        #expect(checked > 30_000)
    }

    @Test func floatGrammar() {
        #expect(double("1.") == 1)
        #expect(double(".5") == 0.5)
        #expect(double("-0")?.sign == .minus)
        #expect(double("1E3") == 1000)
        #expect(double("12e30") == 12e30)
        #expect(double("NaN")?.isNaN == true)
        #expect(double("-Infinity") == -.infinity)
        #expect(double("inf") == .infinity)
        for bad in ["", ".", "-", "e5", "1e", "1e+", "0x1p3", "1.2.3", "1,5", " 1", "n/a", "infinit"] {
            #expect(double(bad) == nil, "\(bad)")
        }
    }

    @Test func bools() {
        func bool(_ s: String) -> Bool? {
            var s = s
            return s.withUTF8 { ByteNumberParser.bool($0.baseAddress!, $0.count) }
        }
        #expect(bool("True") == true)
        #expect(bool("FALSE") == false)
        #expect(bool("1") == true)
        #expect(bool("0") == false)
        #expect(bool("yes") == nil)
        #expect(bool("2") == nil)
        #expect(bool("truex") == nil)
    }
}
