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

/// The step-path kernels: the finite check and the mean of gradients read in place.
extension DenseKernelTests {
    @Test func firstNonFiniteFindsTheFirstBadElementAtEveryPosition() {
        for count in [0, 1, 7, 8, 9, 31, 40] {
            let clean = (0..<count).map { Float($0) * 0.5 - 3 }
            #expect(DenseKernels.firstNonFinite(clean) == nil, "\(count) finite values")
            for bad in 0..<count {
                for value in [Float.nan, .infinity, -.infinity] {
                    var values = clean
                    values[bad] = value
                    if bad + 3 < count { values[bad + 3] = .nan }  // a later one does not hide the first
                    #expect(DenseKernels.firstNonFinite(values) == bad, "\(value) at \(bad) of \(count)")
                }
            }
        }
        // The largest finite values and subnormals are finite.
        #expect(DenseKernels.firstNonFinite([Float](repeating: .greatestFiniteMagnitude, count: 9) + [.leastNonzeroMagnitude]) == nil)
    }

    @Test func scaledSumAddsInOrderThenScalesFromUnalignedSources() {
        var random = SplitMix64(seed: 7)
        for count in [1, 8, 13, 4096 + 5, 9000] {
            let sources = (0..<3).map { _ in (0..<count).map { _ in Float(random.unit() * 2 - 1) } }
            // Each source one byte past a boundary, as values can sit in a received frame.
            let raws = sources.map { values -> [UInt8] in [0] + values.withUnsafeBytes { Array($0) } }
            let factor: Float = 1 / 3
            var output = [Float](repeating: .nan, count: count)
            raws[0].withUnsafeBytes { a in
                raws[1].withUnsafeBytes { b in
                    raws[2].withUnsafeBytes { c in
                        output.withUnsafeMutableBufferPointer { out in
                            DenseKernels.scaledSum(
                                of: [a.baseAddress! + 1, b.baseAddress! + 1, c.baseAddress! + 1], count: count,
                                factor: factor, into: out.baseAddress!)
                        }
                    }
                }
            }
            let expected = (0..<count).map { i in (((0 + sources[0][i]) + sources[1][i]) + sources[2][i]) * factor }
            #expect(output.map(\.bitPattern) == expected.map(\.bitPattern), "\(count) values")
        }
    }
}
