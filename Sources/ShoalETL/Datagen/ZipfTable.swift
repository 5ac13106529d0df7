/// Zipf(s) on 1, 2, …, capped at `cap` (values beyond it become `cap`, as `np.minimum(rng.zipf(s), cap)` does),
/// sampled by inverting its cumulative distribution: a guide table narrows a binary search to a few entries.
struct ZipfTable: Sendable {
    let cap: Int
    /// cdf[k − 1] = P(X ≤ k), the last entry 1.
    private let cdf: [Double]
    /// guide[g]: the first index whose cdf exceeds g / guideSize.
    private let guide: [Int32]
    private static let guideBits = 16

    init(exponent s: Double, cap: Int) {
        precondition(s > 1 && cap >= 1)
        self.cap = cap
        var weights = [Double](repeating: 0, count: cap)
        var total = 0.0
        for k in 1...cap {
            let w = DeterministicMath.exp(-s * DeterministicMath.log(Double(k)))
            weights[k - 1] = w
            total += w
        }
        // The mass beyond the cap, by the integral of x^−s from cap + ½ (Euler–Maclaurin's midpoint rule):
        // exact enough for a 1% tail.
        let tail = DeterministicMath.exp((1 - s) * DeterministicMath.log(Double(cap) + 0.5)) / (s - 1)
        weights[cap - 1] += tail
        total += tail
        var cdf = [Double](repeating: 0, count: cap)
        var running = 0.0
        for k in 0..<cap {
            running += weights[k]
            cdf[k] = running / total
        }
        cdf[cap - 1] = 1
        let size = 1 << Self.guideBits
        var guide = [Int32](repeating: 0, count: size + 1)
        var k = 0
        for g in 0...size {
            let u = Double(g) / Double(size)
            while k < cap - 1 && cdf[k] <= u { k += 1 }
            guide[g] = Int32(k)
        }
        self.cdf = cdf
        self.guide = guide
    }

    /// The value for a uniform `u` in [0, 1).
    @inline(__always)
    func value(_ u: Double) -> Int {
        let g = Int(u * Double(1 << Self.guideBits))
        var lo = Int(guide[g])
        var hi = Int(guide[g + 1])
        // The answer is the first k in lo...hi with cdf[k] > u.
        while lo < hi {
            let mid = (lo + hi) >> 1
            if cdf[mid] > u { hi = mid } else { lo = mid + 1 }
        }
        return lo + 1
    }
}
