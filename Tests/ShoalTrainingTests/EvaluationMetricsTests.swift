import Testing
@testable import ShoalTraining

@Suite struct EvaluationMetricsTests {
    /// The exact AUC: the share of positive–negative pairs ordered right, ties one half.
    func exactAUC(_ scored: [(Float, Float)]) -> Double {
        let positives = scored.filter { $0.1 == 1 }.map(\.0), negatives = scored.filter { $0.1 == 0 }.map(\.0)
        var right = 0.0
        for p in positives {
            for n in negatives { right += p > n ? 1 : (p == n ? 0.5 : 0) }
        }
        return right / Double(positives.count * negatives.count)
    }

    @Test func histogramAUCIsWithinItsBoundOfTheExactOne() {
        var random = SplitMix64(seed: 5)
        let scored: [(Float, Float)] = (0..<3000).map { _ in
            let label: Float = random.below(3) == 0 ? 1 : 0
            let score = Float(min(0.999, max(0, random.unit() * 0.7 + (label == 1 ? 0.25 : 0))))
            return (score, label)
        }
        var a = EvaluationMetrics(binary: true), b = EvaluationMetrics(binary: true)
        for (i, (s, y)) in scored.enumerated() {
            if i % 3 == 0 { a.addScore(s, label: y) } else { b.addScore(s, label: y) }
        }
        a.add(b)
        let (auc, bound) = a.auc!
        let exact = exactAUC(scored)
        #expect(abs(auc - exact) <= bound + 1e-12)
        #expect(bound < 1e-3)
        #expect(exact > 0.7)
    }

    @Test func noAUCWithOneClass() {
        var m = EvaluationMetrics(binary: true)
        m.addScore(0.3, label: 1)
        #expect(m.auc == nil)
    }
}
