import Foundation
import Testing

@testable import ShoalETL

@Suite struct ClickGeneratorTests {
    @Test func sameSeedSameBytesOtherSeedOtherBytes() {
        let a = ClickGenerator(seed: 11).generate(rows: 3000)
        let b = ClickGenerator(seed: 11).generate(rows: 3000)
        let c = ClickGenerator(seed: 12).generate(rows: 3000)
        #expect(a.bytes == b.bytes)
        #expect(a.bytes != c.bytes)
        #expect(a.summary.bytes == a.bytes.count)
        let text = String(decoding: a.bytes, as: UTF8.self)
        #expect(text.hasPrefix(ClickGenerator.header + "\n0,"))
        // A fixed fingerprint of seed 11: changes to the stream or the formats must be deliberate.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in a.bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        #expect(a.bytes.count > 400_000)
        #expect(hash == ClickGeneratorTests.fingerprint, "fingerprint \(hash)")
    }

    static let fingerprint: UInt64 = 12_829_409_527_435_027_661

    @Test func readsBackWithTheModelsDistributions() throws {
        let scratch = try Scratch()
        let path = scratch.directory.path("clicks.csv")
        let summary = try ClickGenerator(seed: 3).write(rows: 100_000, toFile: path)
        #expect(summary.malformed == 0)
        #expect(try SchemaInference.csv(path: path) == ClickGenerator.schema)
        let result = try CSVReader(path: path, schema: ClickGenerator.schema, onBadRow: { _ in }).readAll()
        #expect(result.count == 100_000)
        let dwell = try #require(result["dwell_ms"])
        let missing = Double(dwell.nullCount) / 100_000
        #expect(missing > 0.045 && missing < 0.055)
        guard case .int(let clicked) = result["clicked"]?.data else { Issue.record("clicked is not int"); return }
        let rate = Double(clicked.reduce(0, +)) / 100_000
        #expect(rate > 0.35 && rate < 0.6)
        guard case .string(let countries) = result["country"]?.data else { Issue.record("country"); return }
        var counts = [String: Int]()
        for i in 0..<countries.count { counts[countries.string(at: i), default: 0] += 1 }
        // Weights ∝ 1/rank: US twice IN, thrice BR; NL (rank 20) a twentieth of US.
        let us = Double(counts["US"] ?? 0)
        let harmonic = (1...20).reduce(0.0) { $0 + 1 / Double($1) }
        #expect(abs(us / 100_000 - 1 / harmonic) < 0.01)
        #expect(abs(us / Double(counts["IN"] ?? 1) - 2) < 0.1)
        #expect(abs(us / Double(counts["BR"] ?? 1) - 3) < 0.2)
        #expect(abs(us / Double(counts["NL"] ?? 1) - 20) < 2)
        guard case .string(let devices) = result["device"]?.data else { Issue.record("device"); return }
        let mobile = (0..<devices.count).filter { devices.equals($0, Array("mobile".utf8)) }.count
        #expect(abs(Double(mobile) / 100_000 - 0.6) < 0.01)
        guard case .int(let users) = result["user_id"]?.data else { Issue.record("user_id"); return }
        #expect(users.allSatisfy { $0 >= 1 && $0 <= 1_000_000 })
        // Zipf(1.3): P(1) = 1/ζ(1.3) ≈ 0.2544.
        let ones = Double(users.filter { $0 == 1 }.count) / 100_000
        #expect(abs(ones - 0.2544) < 0.01)
        guard case .float(let f0) = result["f0"]?.data else { Issue.record("f0"); return }
        let mean = f0.reduce(0, +) / 100_000
        let variance = f0.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 100_000
        #expect(abs(mean) < 0.01 && abs(variance - 1) < 0.02)
        let beyond2 = Double(f0.filter { abs($0) > 2 }.count) / 100_000
        #expect(abs(beyond2 - 0.0455) < 0.003)
    }

    @Test func badRowsAreTheOnesTheReaderReports() throws {
        let scratch = try Scratch()
        let path = scratch.directory.path("bad.csv")
        let summary = try ClickGenerator(seed: 5, badRate: 0.02).write(rows: 50_000, toFile: path)
        #expect(summary.malformed > 800 && summary.malformed < 1200)
        var bad: [BadRow] = []
        let reader = try CSVReader(path: path, schema: ClickGenerator.schema, projection: ["event_id", "price"],
                                   onBadRow: { bad.append($0) })
        let rows = try reader.readAll()
        #expect(rows.count == 50_000 - summary.malformed)
        #expect(bad.map(\.line) == summary.malformedEventIDs.map { $0 + 2 })
        for row in bad {
            let odd = (row.line - 2) % 2 == 1
            #expect(row.reason == (odd ? "expected 25 fields, found 22" : "field \"price\": \"n/a\" is not a float"))
        }
    }

    @Test func deterministicMathIsAccurate() {
        var random = DeterministicRandom(seed: 1)
        for _ in 0..<10_000 {
            let x = random.uniform() * 1400 - 700
            let e = DeterministicMath.exp(x)
            #expect(abs(e - Foundation.exp(x)) <= 4 * Foundation.exp(x).ulp, "exp(\(x))")
            let y = Double(bitPattern: random.next() >> 2 | 0x0010_0000_0000_0000)
            if y > 0 && y.isFinite {
                let l = DeterministicMath.log(y)
                #expect(abs(l - Foundation.log(y)) <= 4 * max(Foundation.log(y).ulp, 1e-300), "log(\(y))")
            }
        }
    }

    @Test func zigguratAgreesWithThePolarMethod() {
        var a = DeterministicRandom(seed: 9)
        var b = DeterministicRandom(seed: 10)
        let n = 100_000
        let z = (0..<n).map { _ in a.normal(NormalZiggurat.shared) }
        let p = (0..<n).map { _ in b.polarNormal() }
        for sample in [z, p] {
            let mean = sample.reduce(0, +) / Double(n)
            let variance = sample.reduce(0) { $0 + $1 * $1 } / Double(n) - mean * mean
            #expect(abs(mean) < 0.01 && abs(variance - 1) < 0.015)
            for (cut, expected) in [(1.0, 0.3173), (2.0, 0.0455), (3.0, 0.0027)] {
                let share = Double(sample.filter { abs($0) > cut }.count) / Double(n)
                #expect(abs(share - expected) < 0.004 + expected * 0.08, "P(|z| > \(cut)) = \(share)")
            }
        }
    }
}
