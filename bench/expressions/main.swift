// Evaluation speed of the ETL expression language over one 1,000,000-row batch. Compiled by
// bench/expressions.sh together with ShoalETL's column and expression sources (swiftc -O -wmo), and run on
// demand, never by the test suite.

import Foundation

let rows = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 1_000_000
/// A second argument keeps only the expressions that contain it.
let only = CommandLine.arguments.dropFirst(2).first
let rounds = only == nil ? 15 : 200

/// Deterministic data: SplitMix64.
var state: UInt64 = 42
func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

let devices = ["mobile", "tablet", "desktop", "tv"]
let countries = ["US", "us", "de", "FR", "br", "Jp"]
var price = [Double]()
var dwell = [Int64]()
var dwellValid = [Bool]()
var ts = [Int64]()
var device = StringColumn()
var country = StringColumn()
var a = [Int64]()
var aValid = [Bool]()
for _ in 0..<rows {
    price.append(Double(next() % 10_000) / 100)
    let valid = next() % 20 != 0  // ~5% nulls
    dwell.append(valid ? Int64(next() % 60_000) : 0)
    dwellValid.append(valid)
    ts.append(1_700_000_000 + Int64(next() % 10_000_000))
    device.append(devices[Int(next() % 4)])
    country.append(countries[Int(next() % 6)])
    let aOK = next() % 10 != 0
    a.append(aOK ? Int64(next() % 100) : 0)
    aValid.append(aOK)
}
let batch = ColumnBatch(
    names: ["price", "dwell_ms", "ts", "device", "country", "a", "b"],
    columns: [
        Column(.float(price)), Column(.int(dwell), validity: dwellValid), Column(.int(ts)),
        Column(.string(device)), Column(.string(country)), Column(.int(a), validity: aValid),
        Column(.int(dwell), validity: dwellValid),
    ])

var table: [String] = []

func measure(_ label: String, _ body: () -> Int) {
    var times: [Double] = []
    var check = 0
    for _ in 0..<rounds {
        let start = ContinuousClock.now
        check &+= body()
        let elapsed = ContinuousClock.now - start
        times.append(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1e3)
    }
    times.sort()
    let median = times[times.count / 2]
    let rate = Double(rows) / (median / 1e3) / 1e6
    let name = label.padding(toLength: 46, withPad: " ", startingAt: 0)
    print("\(name) median \(fmt(median)) ms  min \(fmt(times[0])) ms  \(Int(rate.rounded())) M rows/s  (check \(check % 1000))")
    table.append("| \(label) | \(fmt(median)) | \(fmt(times[0])) | \(Int(rate.rounded())) |")
}

func fmt(_ v: Double) -> String { String(format: "%.2f", v) }

print("rows: \(rows), rounds: \(rounds) (median and fastest round)")
for text in [
    "price > 1.0 and device != 'tablet'",
    "price / (dwell_ms / 1000)",
    "price * 1.1 + 2",
    "(ts // 3600) % 24",
    "lower(country) == 'us'",
    "coalesce(a, b, 0)",
    "if(dwell_ms is null, 0, dwell_ms)",
    "not (price < 3 or dwell_ms is not null)",
    "sqrt(price) + log(price + 1)",
] where only.map({ text.contains($0) }) ?? true {
    let bound = try ParsedExpression.parse(text).bind(to: batch.schema)
    measure("`\(text)`") { bound.evaluate(on: batch).count }
}
// Context, not the evaluator: the same computation as one hand-written loop (the floor for any evaluator that
// reads these inputs and writes a result with validity), and a plain 8 MB fill.
if only == nil {
    measure("hand-written loop: `price / (dwell_ms / 1000)`") {
        var valid = [Bool](repeating: false, count: rows)
        let out = [Double](unsafeUninitializedCapacity: rows) { o, initialized in
            price.withUnsafeBufferPointer { p in
                dwell.withUnsafeBufferPointer { d in
                    dwellValid.withUnsafeBufferPointer { v in
                        valid.withUnsafeMutableBufferPointer { ok in
                            for i in 0..<rows {
                                let x = Double(d[i]) / 1000
                                let keep = v[i] && x != 0
                                o[i] = keep ? p[i] / x : 0
                                ok[i] = keep
                            }
                        }
                    }
                }
            }
            initialized = rows
        }
        return out.count + valid.count
    }
    measure("filling a new array of one double per row") { [Double](repeating: 1, count: rows).count }
}

if let only, !"selection".contains(only) {
    for line in table { print(line) }
    exit(0)
}
let filter = try ParsedExpression.parse("price > 1.0 and device != 'tablet'").bind(to: batch.schema, expecting: .bool)
measure("`price > 1.0 and device != 'tablet'` as a selection vector") { filter.selection(on: batch).count }

print("\n| expression | median ms | fastest ms | M rows/s (median) |\n|---|---|---|---|")
for line in table { print(line) }
