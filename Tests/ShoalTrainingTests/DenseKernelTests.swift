import Testing
@testable import ShoalTraining

/// The SIMD kernels against plain triple loops, on shapes around the vector width and the 4-unit blocking.
@Suite struct DenseKernelTests {
    static let shapes: [(rows: Int, d: Int, k: Int)] = [(1, 1, 1), (3, 7, 3), (5, 8, 4), (7, 17, 5), (2, 33, 9), (16, 64, 13)]

    @Test(arguments: 0..<shapes.count)
    func kernelsMatchPlainLoops(_ shape: Int) {
        let (n, d, k) = Self.shapes[shape]
        var random = SplitMix64(seed: UInt64(shape) + 1)
        func values(_ count: Int) -> [Float] { (0..<count).map { _ in Float(random.unit() * 2 - 1) } }
        let x = values(n * d), w = values(k * d), b = values(k), g = values(n * k)

        var out = [Float](repeating: .nan, count: n * k)
        DenseKernels.forward(input: x, rows: n, inputWidth: d, weights: w, bias: b, outputWidth: k, output: &out)
        for i in 0..<n {
            for j in 0..<k {
                var s = Double(b[j])
                for c in 0..<d { s += Double(x[i * d + c]) * Double(w[j * d + c]) }
                #expect(abs(Double(out[i * k + j]) - s) < 1e-5, "forward [\(i), \(j)]")
            }
        }

        var dW = [Float](repeating: 0.5, count: k * d), dB = [Float](repeating: 0.25, count: k)
        var scratch = [Float](repeating: 0, count: n)
        DenseKernels.accumulateGradients(
            outputGradient: g, input: x, rows: n, inputWidth: d, outputWidth: k, weightGradient: &dW,
            biasGradient: &dB, scratch: &scratch)
        for j in 0..<k {
            var sb = 0.25
            for i in 0..<n { sb += Double(g[i * k + j]) }
            #expect(abs(Double(dB[j]) - sb) < 1e-5, "bias gradient [\(j)]")
            for c in 0..<d {
                var s = 0.5
                for i in 0..<n { s += Double(g[i * k + j]) * Double(x[i * d + c]) }
                #expect(abs(Double(dW[j * d + c]) - s) < 1e-5, "weight gradient [\(j), \(c)]")
            }
        }

        var dX = [Float](repeating: .nan, count: n * d)
        DenseKernels.backpropagate(outputGradient: g, weights: w, rows: n, inputWidth: d, outputWidth: k, inputGradient: &dX)
        for i in 0..<n {
            for c in 0..<d {
                var s = 0.0
                for j in 0..<k { s += Double(g[i * k + j]) * Double(w[j * d + c]) }
                #expect(abs(Double(dX[i * d + c]) - s) < 1e-5, "input gradient [\(i), \(c)]")
            }
        }
    }
}
