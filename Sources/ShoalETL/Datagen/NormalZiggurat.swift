/// Marsaglia and Tsang's ziggurat for the standard normal (128 layers): about 99% of draws cost one random
/// word, a multiplication and a comparison, against a logarithm and a square root per pair for the polar
/// method. The tables come from `DeterministicMath`, so draws are the same bits on every machine.
///
/// Unlike the 2000 paper's RNOR, the layer index and the value come from different bits of one 64-bit word
/// (Doornik 2005 showed that sharing them correlates consecutive draws).
struct NormalZiggurat: Sendable {
    private static let layers = 128
    /// The base strip's right edge and the area of each layer.
    private static let r = 3.442619855899
    private static let area = 9.91256303526217e-3
    private static let scale = 2147483648.0  // 2^31: values are drawn as signed 32-bit integers

    private let k: [Int64]
    private let w: [Double]
    private let f: [Double]

    static let shared = NormalZiggurat()

    init() {
        var k = [Int64](repeating: 0, count: Self.layers)
        var w = [Double](repeating: 0, count: Self.layers)
        var f = [Double](repeating: 0, count: Self.layers)
        var d = Self.r
        var t = d
        let q = Self.area / DeterministicMath.exp(-0.5 * d * d)
        k[0] = Int64((d / q) * Self.scale)
        k[1] = 0
        w[0] = q / Self.scale
        w[Self.layers - 1] = d / Self.scale
        f[0] = 1
        f[Self.layers - 1] = DeterministicMath.exp(-0.5 * d * d)
        for i in stride(from: Self.layers - 2, through: 1, by: -1) {
            d = (-2 * DeterministicMath.log(Self.area / d + DeterministicMath.exp(-0.5 * d * d))).squareRoot()
            k[i + 1] = Int64((d / t) * Self.scale)
            t = d
            f[i] = DeterministicMath.exp(-0.5 * d * d)
            w[i] = d / Self.scale
        }
        self.k = k
        self.w = w
        self.f = f
    }

    @inline(__always)
    func sample(_ random: inout DeterministicRandom) -> Double {
        while true {
            let bits = random.next()
            let layer = Int(bits & 127)
            let h = Int64(Int32(truncatingIfNeeded: bits >> 32))
            let x = Double(h) * w[layer]
            if h.magnitude < k[layer].magnitude { return x }  // inside the layer's rectangle: accept
            if layer == 0 {
                // The tail beyond r, by Marsaglia's exponential method.
                var tx: Double
                var ty: Double
                repeat {
                    tx = -DeterministicMath.log(1 - random.uniform()) / Self.r
                    ty = -DeterministicMath.log(1 - random.uniform())
                } while ty + ty < tx * tx
                return h > 0 ? Self.r + tx : -Self.r - tx
            }
            // The wedge between the rectangle and the curve.
            if f[layer] + random.uniform() * (f[layer - 1] - f[layer]) < DeterministicMath.exp(-0.5 * x * x) {
                return x
            }
        }
    }
}
