import Foundation

/// Synthetic click logs, the shared yardstick data set: the columns, formats and generative model of
/// `shared/bench/gen_clicks.py` (see its docstring), drawn from Shoal's own deterministic generator.
///
/// The bytes differ from the Python script's (another random stream), but the distributions are the same, and a
/// seed gives the same bytes on every machine and run. Columns: `event_id, ts, user_id, country, device, ad_id,
/// price, dwell_ms, f0…f15, clicked`; `clicked` follows a logistic model with `trueWeights`, `trueBias` and the
/// device effects, so a learner's weights can be checked against them.
public struct ClickGenerator: Sendable {
    public static let countries = [
        "US", "IN", "BR", "DE", "GB", "FR", "JP", "ID", "MX", "NG", "PK", "RU", "TR", "IT", "ES", "CA", "KR", "AU", "PL",
        "NL",
    ]
    public static let devices = ["mobile", "desktop", "tablet"]
    static let deviceProbabilities = [0.6, 0.3, 0.1]
    /// The logit's shift per device (mobile, desktop, tablet).
    public static let deviceEffects = [0.3, 0.0, -0.4]
    public static let trueBias = -0.5
    /// gen_clicks.py's TRUE_WEIGHTS, computed once with
    /// `python3 -c 'import numpy as np; print(list(np.round(np.random.default_rng(12345).normal(0.0,0.8,16),3)))'`
    /// (numpy 2.4.6).
    public static let trueWeights = [
        -1.139, 1.011, -0.697, -0.207, -0.06, -0.593, -1.094, 0.519, 0.289, -1.562, 1.878, 0.775, -0.608, 0.722,
        -0.374, -0.049,
    ]
    public static let featureCount = 16
    public static let header =
        (["event_id", "ts", "user_id", "country", "device", "ad_id", "price", "dwell_ms"]
        + (0..<featureCount).map { "f\($0)" } + ["clicked"]).joined(separator: ",")

    /// The click log's schema, as the readers should see it.
    public static var schema: Schema {
        Schema(
            [
                Field("event_id", .int), Field("ts", .int), Field("user_id", .int), Field("country", .string),
                Field("device", .string), Field("ad_id", .int), Field("price", .float), Field("dwell_ms", .int),
            ] + (0..<featureCount).map { Field("f\($0)", .float) } + [Field("clicked", .int)])
    }

    static let userIDs = ZipfTable(exponent: 1.3, cap: 1_000_000)

    public var seed: UInt64
    /// The fraction of rows made malformed: odd event ids lose their last three fields, even ones get `n/a` as
    /// their price (as gen_clicks.py does).
    public var badRate: Double

    public init(seed: UInt64, badRate: Double = 0) {
        precondition(badRate >= 0 && badRate < 1, "the bad rate is a fraction in [0, 1)")
        self.seed = seed
        self.badRate = badRate
    }

    /// What a generation made.
    public struct Summary: Sendable, Equatable {
        public var rows: Int
        /// The event ids of the malformed rows, in order (row `event_id` is on line `event_id + 2`).
        public var malformedEventIDs: [Int]
        public var malformed: Int { malformedEventIDs.count }
        /// Bytes written, header included.
        public var bytes: Int
    }

    /// Generates `rows` rows after the header, handing the text out in chunks of about 4 MiB.
    public func generate(rows: Int, into sink: (UnsafeRawBufferPointer) throws -> Void) rethrows -> Summary {
        precondition(rows >= 0)
        var writer = ChunkWriter(capacity: 4 << 20)
        defer { writer.deallocate() }
        var random = DeterministicRandom(seed: seed)
        var summary = Summary(rows: rows, malformedEventIDs: [], bytes: 0)
        writer.append(Self.header)
        writer.byte(UInt8(ascii: "\n"))
        let countryCDF = Self.cumulative((1...Self.countries.count).map { 1.0 / Double($0) })
        let deviceCDF = Self.cumulative(Self.deviceProbabilities)
        let countryBytes = Self.countries.map { Array($0.utf8) }
        let deviceBytes = Self.devices.map { Array($0.utf8) }
        let zipf = Self.userIDs
        let normals = NormalZiggurat.shared
        let weights = Self.trueWeights
        var features = [Int](repeating: 0, count: Self.featureCount)
        for eventID in 0..<rows {
            let ts = 1_700_000_000 + eventID / 50 + Int(random.below(3))
            let user = zipf.value(random.uniform())
            let country = Self.pick(countryCDF, random.uniform())
            let device = Self.pick(deviceCDF, random.uniform())
            let ad = 1 + Int(random.below(50_000))
            let cents = Int((DeterministicMath.exp(0.5 + 0.9 * random.normal(normals)) * 100).rounded())
            let dwell = 50 + Int(random.below(120_000 - 50))
            let dwellMissing = random.uniform() < 0.05
            var logit = Self.trueBias + Self.deviceEffects[device]
            for j in 0..<Self.featureCount {
                // Rounded to 4 decimals first, as the script does: the label follows the features as written.
                let ticks = Int((random.normal(normals) * 10_000).rounded())
                features[j] = ticks
                logit += Double(ticks) / 10_000 * weights[j]
            }
            let clicked = random.uniform() < 1 / (1 + DeterministicMath.exp(-logit))
            let bad = badRate > 0 && random.uniform() < badRate
            let dropTail = bad && eventID % 2 == 1

            writer.int(eventID)
            writer.byte(UInt8(ascii: ","))
            writer.int(ts)
            writer.byte(UInt8(ascii: ","))
            writer.int(user)
            writer.byte(UInt8(ascii: ","))
            writer.bytes(countryBytes[country])
            writer.byte(UInt8(ascii: ","))
            writer.bytes(deviceBytes[device])
            writer.byte(UInt8(ascii: ","))
            writer.int(ad)
            writer.byte(UInt8(ascii: ","))
            if bad && !dropTail { writer.append("n/a") } else { writer.fixed(cents, decimals: 2) }
            writer.byte(UInt8(ascii: ","))
            if !dwellMissing { writer.int(dwell) }
            for j in 0..<(dropTail ? Self.featureCount - 2 : Self.featureCount) {
                writer.byte(UInt8(ascii: ","))
                writer.fixed(features[j], decimals: 4)
            }
            if !dropTail {
                writer.byte(UInt8(ascii: ","))
                writer.byte(clicked ? UInt8(ascii: "1") : UInt8(ascii: "0"))
            }
            writer.byte(UInt8(ascii: "\n"))
            if bad { summary.malformedEventIDs.append(eventID) }
            if writer.count >= writer.capacity - 1024 {
                summary.bytes += writer.count
                try writer.flush(sink)
            }
        }
        summary.bytes += writer.count
        try writer.flush(sink)
        return summary
    }

    /// Generates into memory (tests, small samples).
    public func generate(rows: Int) -> (bytes: [UInt8], summary: Summary) {
        var bytes: [UInt8] = []
        let summary = generate(rows: rows) { bytes.append(contentsOf: $0) }
        return (bytes, summary)
    }

    /// Generates into a file, replacing it.
    /// - Throws: `ReaderError` naming the file if it cannot be created or written.
    public func write(rows: Int, toFile path: String) throws -> Summary {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ReaderError.system(path, "cannot create", errno: errno) }
        defer { close(fd) }
        return try generate(rows: rows) { chunk in
            var done = 0
            while done < chunk.count {
                let n = Foundation.write(fd, chunk.baseAddress! + done, chunk.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw ReaderError.system(path, "cannot write", errno: errno)
                }
                done += n
            }
        }
    }

    static func cumulative(_ weights: [Double]) -> [Double] {
        let total = weights.reduce(0, +)
        var running = 0.0
        var out = weights.map { w -> Double in
            running += w
            return running / total
        }
        out[out.count - 1] = 1
        return out
    }

    @inline(__always)
    static func pick(_ cdf: [Double], _ u: Double) -> Int {
        var i = 0
        while i < cdf.count - 1 && cdf[i] <= u { i += 1 }
        return i
    }
}

/// An output buffer that numbers are formatted into by hand: no `String` per value.
struct ChunkWriter {
    let base: UnsafeMutablePointer<UInt8>
    let capacity: Int
    var count = 0

    init(capacity: Int) {
        self.capacity = capacity
        base = .allocate(capacity: capacity)
    }

    func deallocate() { base.deallocate() }

    mutating func flush(_ sink: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        if count > 0 { try sink(UnsafeRawBufferPointer(start: base, count: count)) }
        count = 0
    }

    @inline(__always)
    mutating func byte(_ b: UInt8) {
        base[count] = b
        count += 1
    }

    @inline(__always)
    mutating func bytes(_ b: [UInt8]) {
        for x in b { byte(x) }
    }

    mutating func append(_ s: String) {
        for x in s.utf8 { byte(x) }
    }

    /// A non-negative or negative integer in decimal.
    @inline(__always)
    mutating func int(_ value: Int) {
        var v = value.magnitude
        if value < 0 { byte(UInt8(ascii: "-")) }
        var digits = 1
        var probe = v
        while probe >= 10 {
            probe /= 10
            digits += 1
        }
        var i = count + digits - 1
        repeat {
            base[i] = UInt8(truncatingIfNeeded: v % 10) &+ 48
            v /= 10
            i -= 1
        } while v > 0
        count += digits
    }

    /// `value / 10^decimals` with exactly `decimals` digits after the point (`-0.0420` for -420, 4).
    @inline(__always)
    mutating func fixed(_ value: Int, decimals: Int) {
        if value < 0 { byte(UInt8(ascii: "-")) }
        var scale = 1
        for _ in 0..<decimals { scale *= 10 }
        let m = Int(value.magnitude)
        int(m / scale)
        byte(UInt8(ascii: "."))
        var frac = m % scale
        var i = count + decimals - 1
        for _ in 0..<decimals {
            base[i] = UInt8(truncatingIfNeeded: frac % 10) &+ 48
            frac /= 10
            i -= 1
        }
        count += decimals
    }
}
