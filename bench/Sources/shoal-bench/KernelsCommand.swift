import ArgumentParser
import Foundation
import ShoalTraining

/// `shoal-bench kernels`: Shoal's hand-written dense-layer kernels against OpenBLAS's `cblas_sgemm` (one thread) on
/// the layer shapes training jobs use — the measurement behind "BLAS or a vectorized kernel, whichever is faster".
/// OpenBLAS is loaded at run time (`dlopen`), so neither Shoal nor the bench links it; without it, only Shoal's
/// kernels are timed.
struct KernelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernels", abstract: "Time a dense layer's forward and backward products: Shoal's kernels vs OpenBLAS.")

    @Option(help: "Rows per call (a micro-batch).")
    var rows = 256
    @Option(help: "Timed seconds per measurement.")
    var seconds = 1.0
    @Option(help: "The OpenBLAS library to load.")
    var blas = "libopenblas.so.0"

    typealias SGEMM = @convention(c) (
        Int32, Int32, Int32, Int32, Int32, Int32, Float, UnsafePointer<Float>?, Int32, UnsafePointer<Float>?, Int32, Float,
        UnsafeMutablePointer<Float>?, Int32
    ) -> Void
    typealias SetThreads = @convention(c) (Int32) -> Void

    func run() throws {
        var sgemm: SGEMM?
        if let handle = dlopen(blas, RTLD_NOW) {
            if let symbol = dlsym(handle, "openblas_set_num_threads") { unsafeBitCast(symbol, to: SetThreads.self)(1) }
            if let symbol = dlsym(handle, "cblas_sgemm") { sgemm = unsafeBitCast(symbol, to: SGEMM.self) }
        } else {
            print("kernels: \(blas) not found; timing Shoal's kernels only")
        }
        // (inputs, outputs): logistic on the clicks features, and the layers of an mlp [256, 128] on them.
        for (d, k) in [(19, 1), (19, 256), (256, 128), (128, 1), (512, 512)] {
            let n = rows
            var random = SystemRandomNumberGenerator()
            func values(_ count: Int) -> [Float] { (0..<count).map { _ in Float.random(in: -1...1, using: &random) } }
            let x = values(n * d), w = values(k * d), b = values(k), g = values(n * k)
            var out = [Float](repeating: 0, count: n * k), dW = [Float](repeating: 0, count: k * d)
            var dB = [Float](repeating: 0, count: k), dX = [Float](repeating: 0, count: n * d)
            var scratch = [Float](repeating: 0, count: n)
            // One forward and one backward: forward n·k·d, weight gradient k·d·n, input gradient n·d·k multiply-adds.
            let flops = 2.0 * 3 * Double(n * d * k)
            let shoal = time {
                DenseKernels.forward(input: x, rows: n, inputWidth: d, weights: w, bias: b, outputWidth: k, output: &out)
                DenseKernels.accumulateGradients(
                    outputGradient: g, input: x, rows: n, inputWidth: d, outputWidth: k, weightGradient: &dW,
                    biasGradient: &dB, scratch: &scratch)
                DenseKernels.backpropagate(outputGradient: g, weights: w, rows: n, inputWidth: d, outputWidth: k, inputGradient: &dX)
            }
            var line = "kernels shape=\(n)x\(d)->\(k) shoal_gflops=\(format(flops / shoal / 1e9, 2))"
            if let sgemm {
                // Row-major (101); out = x·wᵀ (NoTrans 111, Trans 112); dW += gᵀ·x; dX = g·w.
                let openblas = time {
                    sgemm(101, 111, 112, Int32(n), Int32(k), Int32(d), 1, x, Int32(d), w, Int32(d), 0, &out, Int32(k))
                    sgemm(101, 112, 111, Int32(k), Int32(d), Int32(n), 1, g, Int32(k), x, Int32(d), 1, &dW, Int32(d))
                    sgemm(101, 111, 111, Int32(n), Int32(d), Int32(k), 1, g, Int32(k), w, Int32(d), 0, &dX, Int32(d))
                }
                line += " openblas_gflops=\(format(flops / openblas / 1e9, 2)) shoal_time_over_openblas=\(format(shoal / openblas, 2))"
            }
            print(line)
        }
    }

    /// Seconds per call of `body`, from as many calls as fit in `seconds` after a warm-up.
    func time(_ body: () -> Void) -> Double {
        for _ in 0..<10 { body() }
        var calls = 0
        let start = MonotonicClock.now()
        var elapsed = 0.0
        repeat {
            for _ in 0..<10 { body() }
            calls += 10
            elapsed = MonotonicClock.now() - start
        } while elapsed < seconds
        return elapsed / Double(calls)
    }
}
