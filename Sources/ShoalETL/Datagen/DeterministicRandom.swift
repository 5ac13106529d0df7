/// xoshiro256** seeded through splitmix64, with the samplers the data generator needs. Integer arithmetic and
/// `DeterministicMath` only: the same seed gives the same numbers on every machine and every run (unlike
/// Foundation's generators, whose algorithms are unspecified).
package struct DeterministicRandom {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64
    private var spareNormal: Double?

    package init(seed: UInt64) {
        // splitmix64 expands the seed; it never yields the all-zero state xoshiro cannot leave.
        var x = seed
        func splitmix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitmix()
        s1 = splitmix()
        s2 = splitmix()
        s3 = splitmix()
    }

    @inline(__always)
    package mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = s3 << 45 | s3 >> 19
        return result
    }

    /// Uniform in [0, 1), 53 random bits.
    @inline(__always)
    package mutating func uniform() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Uniform in `0 ..< n`, without modulo bias (Lemire's multiply-and-reject).
    @inline(__always)
    package mutating func below(_ n: UInt64) -> UInt64 {
        var m = next().multipliedFullWidth(by: n)
        if m.low < n {
            let threshold = (0 &- n) % n
            while m.low < threshold { m = next().multipliedFullWidth(by: n) }
        }
        return m.high
    }

    /// Standard normal, by the ziggurat.
    @inline(__always)
    mutating func normal(_ ziggurat: NormalZiggurat) -> Double { ziggurat.sample(&self) }

    /// Standard normal, by Marsaglia's polar method (needs `log` and `sqrt` only; `sqrt` is exact in IEEE).
    /// Slower than `normal(_:)`, kept as an independent reference for tests.
    mutating func polarNormal() -> Double {
        if let spare = spareNormal {
            spareNormal = nil
            return spare
        }
        while true {
            let u = 2 * uniform() - 1
            let v = 2 * uniform() - 1
            let s = u * u + v * v
            if s >= 1 || s == 0 { continue }
            let f = (-2 * DeterministicMath.log(s) / s).squareRoot()
            spareNormal = v * f
            return u * f
        }
    }


}
