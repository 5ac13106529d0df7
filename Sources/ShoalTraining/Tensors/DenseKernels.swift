/// The three products of a dense layer — forward, weight gradient, input gradient — on raw pointers.
///
/// Written by hand rather than called from BLAS for two reasons. The matrices here are small (a micro-batch of a
/// few hundred rows by tens to hundreds of columns), where a BLAS call's setup is a visible share of the work.
/// And determinism: every sum below is taken in one fixed order, with fixed SIMD widths, so a micro-batch's
/// gradient has the same bits on every run and every machine with IEEE `Float` — the base of the bit-identical
/// training guarantee. (OpenBLAS chooses its kernels, and so its summation order, by CPU model and thread count.)
///
/// Layout: row-major; a layer's weights are `outputs × inputs`, one row per output unit.
public enum DenseKernels {
    public typealias Vector = SIMD8<Float>

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> Vector {
        UnsafeRawPointer(p).loadUnaligned(as: Vector.self)
    }

    @inline(__always)
    static func store(_ v: Vector, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vector.self)
    }

    /// `output[i, j] = bias[j] + Σ_c input[i, c] · weights[j, c]` for `rows` rows.
    public static func forward(
        input: UnsafePointer<Float>, rows: Int, inputWidth d: Int,
        weights: UnsafePointer<Float>, bias: UnsafePointer<Float>, outputWidth k: Int,
        output: UnsafeMutablePointer<Float>
    ) {
        let vectorEnd = d & ~7
        for i in 0..<rows {
            let x = input + i * d
            let out = output + i * k
            var j = 0
            // Four output units at a time: each load of the input row serves four dot products.
            while j + 4 <= k {
                let w0 = weights + j * d, w1 = w0 + d, w2 = w1 + d, w3 = w2 + d
                var a0 = Vector(), a1 = Vector(), a2 = Vector(), a3 = Vector()
                var c = 0
                while c < vectorEnd {
                    let xv = load(x + c)
                    a0 += xv * load(w0 + c)
                    a1 += xv * load(w1 + c)
                    a2 += xv * load(w2 + c)
                    a3 += xv * load(w3 + c)
                    c += 8
                }
                var s0 = a0.sum(), s1 = a1.sum(), s2 = a2.sum(), s3 = a3.sum()
                while c < d {
                    let xc = x[c]
                    s0 += xc * w0[c]
                    s1 += xc * w1[c]
                    s2 += xc * w2[c]
                    s3 += xc * w3[c]
                    c += 1
                }
                out[j] = bias[j] + s0
                out[j + 1] = bias[j + 1] + s1
                out[j + 2] = bias[j + 2] + s2
                out[j + 3] = bias[j + 3] + s3
                j += 4
            }
            while j < k {
                out[j] = bias[j] + dot(x, weights + j * d, d)
                j += 1
            }
        }
    }

    /// The index of the first element that is NaN or infinite, or `nil`: eight lanes at a time, on the bits
    /// (a step's parameters and gradients, tens of MiB, are checked every step).
    public static func firstNonFinite(_ values: UnsafeBufferPointer<Float>) -> Int? {
        guard let base = values.baseAddress else { return nil }
        let n = values.count
        let exponent = SIMD8<UInt32>(repeating: 0x7F80_0000)
        var i = 0
        while i + 8 <= n {
            let bits = UnsafeRawPointer(base + i).loadUnaligned(as: SIMD8<UInt32>.self)
            if any(bits & exponent .== exponent) { break }
            i += 8
        }
        while i < n {
            if !base[i].isFinite { return i }
            i += 1
        }
        return nil
    }

    public static func firstNonFinite(_ values: [Float]) -> Int? {
        values.withUnsafeBufferPointer { firstNonFinite($0) }
    }

    /// `output[i] = (0 + s₀[i] + s₁[i] + …) · factor` over `sources` (little-endian `Float`s at any alignment, added in
    /// the order given), a block at a time so each block stays in cache: the mean of a step's float gradients,
    /// read where they arrived, in one pass instead of a copy, an add per source and a scaling pass.
    public static func scaledSum(
        of sources: [UnsafeRawPointer], count n: Int, factor: Float, into output: UnsafeMutablePointer<Float>
    ) {
        let block = 4096
        var start = 0
        while start < n {
            let count = min(block, n - start)
            (output + start).update(repeating: 0, count: count)
            for source in sources { add(source + 4 * start, into: output + start, count: count) }
            scale(output + start, count: count, by: factor)
            start += count
        }
    }

    /// `sum[i] += values[i]`, eight lanes at a time (a step's float gradients, tens of MiB).
    public static func add(_ values: [Float], into sum: inout [Float]) {
        precondition(values.count == sum.count, "adding \(values.count) values into \(sum.count)")
        values.withUnsafeBytes { v in
            sum.withUnsafeMutableBufferPointer { s in
                guard let a = v.baseAddress, let b = s.baseAddress else { return }
                add(a, into: b, count: s.count)
            }
        }
    }

    /// `sum[i] += values[i]` for `count` `Float`s, `values` at any alignment.
    static func add(_ values: UnsafeRawPointer, into sum: UnsafeMutablePointer<Float>, count n: Int) {
        var i = 0
        while i + 8 <= n {
            store(load(sum + i) + values.loadUnaligned(fromByteOffset: 4 * i, as: Vector.self), sum + i)
            i += 8
        }
        while i < n {
            sum[i] += values.loadUnaligned(fromByteOffset: 4 * i, as: Float.self)
            i += 1
        }
    }

    /// `values[i] *= factor` for `count` `Float`s.
    static func scale(_ values: UnsafeMutablePointer<Float>, count n: Int, by factor: Float) {
        var i = 0
        while i + 8 <= n {
            store(load(values + i) * factor, values + i)
            i += 8
        }
        while i < n {
            values[i] *= factor
            i += 1
        }
    }

    /// `Σ_c a[c] · b[c]`, eight lanes then the tail.
    @inline(__always)
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = Vector()
        var c = 0
        while c + 8 <= n {
            acc += load(a + c) * load(b + c)
            c += 8
        }
        var s = acc.sum()
        while c < n {
            s += a[c] * b[c]
            c += 1
        }
        return s
    }

    /// `weightGradient[j, c] += Σ_i outputGradient[i, j] · input[i, c]` and
    /// `biasGradient[j] += Σ_i outputGradient[i, j]`, over `rows` rows.
    /// - Parameter scratch: room for `rows` floats (one column of the output gradient, made contiguous).
    public static func accumulateGradients(
        outputGradient g: UnsafePointer<Float>, input: UnsafePointer<Float>, rows: Int, inputWidth d: Int,
        outputWidth k: Int, weightGradient: UnsafeMutablePointer<Float>, biasGradient: UnsafeMutablePointer<Float>,
        scratch: UnsafeMutablePointer<Float>
    ) {
        let vectorEnd = d & ~7
        for j in 0..<k {
            var biasSum: Float = 0
            for i in 0..<rows {
                let v = g[i * k + j]
                scratch[i] = v
                biasSum += v
            }
            biasGradient[j] += biasSum
            let row = weightGradient + j * d
            var c = 0
            while c < vectorEnd {
                var acc = load(row + c)
                var i = 0
                while i + 2 <= rows {
                    acc += scratch[i] * load(input + i * d + c)
                    acc += scratch[i + 1] * load(input + (i + 1) * d + c)
                    i += 2
                }
                if i < rows { acc += scratch[i] * load(input + i * d + c) }
                store(acc, row + c)
                c += 8
            }
            while c < d {
                var s = row[c]
                for i in 0..<rows { s += scratch[i] * input[i * d + c] }
                row[c] = s
                c += 1
            }
        }
    }

    /// `inputGradient[i, c] = Σ_j outputGradient[i, j] · weights[j, c]` (overwrites `inputGradient`).
    public static func backpropagate(
        outputGradient g: UnsafePointer<Float>, weights: UnsafePointer<Float>, rows: Int, inputWidth d: Int,
        outputWidth k: Int, inputGradient: UnsafeMutablePointer<Float>
    ) {
        let vectorEnd = d & ~7
        for i in 0..<rows {
            let gi = g + i * k
            let out = inputGradient + i * d
            var c = 0
            while c < vectorEnd {
                var acc = Vector()
                for j in 0..<k { acc += gi[j] * load(weights + j * d + c) }
                store(acc, out + c)
                c += 8
            }
            while c < d {
                var s: Float = 0
                for j in 0..<k { s += gi[j] * weights[j * d + c] }
                out[c] = s
                c += 1
            }
        }
    }
}
