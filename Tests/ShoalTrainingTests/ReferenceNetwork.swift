import Foundation
@testable import ShoalTraining

/// An independent, plain implementation of the networks' loss in `Double`: scalar loops, Foundation's exp and
/// log, nothing shared with `Network` but the parameter layout. Finite differences of it are the gradient the
/// real kernels must match.
struct ReferenceNetwork {
    let network: Network

    func loss(_ p: [Double], features x: [Double], labels y: [Double], rows: Int) -> Double {
        var total = 0.0
        for i in 0..<rows {
            var a = Array(x[(i * network.inputs)..<((i + 1) * network.inputs)])
            for l in 0..<network.layerCount {
                let inW = network.widths[l], outW = network.widths[l + 1]
                let w = network.offsets[l], b = w + inW * outW
                var z = [Double](repeating: 0, count: outW)
                for j in 0..<outW {
                    var s = p[b + j]
                    for c in 0..<inW { s += a[c] * p[w + j * inW + c] }
                    z[j] = s
                }
                if l < network.layerCount - 1 {
                    z = z.map { network.spec.activation == .relu ? max($0, 0) : Foundation.tanh($0) }
                }
                a = z
            }
            switch network.spec.head {
            case .linear:
                total += (a[0] - y[i]) * (a[0] - y[i])
            case .logistic:
                let p1 = 1 / (1 + Foundation.exp(-a[0]))
                total += -(y[i] * Foundation.log(p1) + (1 - y[i]) * Foundation.log(1 - p1))
            case .softmax:
                let m = a.max()!
                let lse = m + Foundation.log(a.reduce(0) { $0 + Foundation.exp($1 - m) })
                total += lse - a[Int(y[i])]
            }
        }
        return total
    }

    /// Central differences, step `h`, for every parameter.
    func numericGradient(_ p: [Double], features: [Double], labels: [Double], rows: Int, h: Double = 1e-6) -> [Double] {
        var q = p
        return p.indices.map { k in
            q[k] = p[k] + h
            let up = loss(q, features: features, labels: labels, rows: rows)
            q[k] = p[k] - h
            let down = loss(q, features: features, labels: labels, rows: rows)
            q[k] = p[k]
            return (up - down) / (2 * h)
        }
    }
}

/// Random features, labels fitting the head, and parameters, for small networks.
struct RandomProblem {
    var features: [Float]
    var labels: [Float]
    var parameters: [Float]
    let rows: Int

    init(network: Network, rows: Int, seed: UInt64) {
        var random = SplitMix64(seed: seed)
        self.rows = rows
        features = (0..<(rows * network.inputs)).map { _ in Float(random.unit() * 4 - 2) }
        labels = (0..<rows).map { _ in
            switch network.spec.head {
            case .linear: Float(random.unit() * 6 - 3)
            case .logistic: Float(random.below(2))
            case .softmax: Float(random.below(network.spec.classes))
            }
        }
        parameters = (0..<network.parameterCount).map { _ in Float(random.unit() - 0.5) }
    }
}
