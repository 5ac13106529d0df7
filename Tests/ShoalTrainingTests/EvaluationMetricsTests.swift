import Foundation
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

extension EvaluationMetricsTests {
    /// As a validation task sends them (`evaluation.json`): the histograms packed, everything back as it was.
    @Test func metricsSurviveTheirJSONWithPackedHistograms() throws {
        var metrics = EvaluationMetrics(binary: true)
        metrics.metrics = StepMetrics(examples: 3, lossSum: -12_345_678_901_234_567_890, correct: 2)
        metrics.addScore(0.1, label: 0)
        metrics.addScore(0.9, label: 1)
        metrics.addScore(0.99999, label: 1)
        metrics.positives[7] = Int(Int32.max) + 5
        metrics.epoch = 2
        metrics.shard = 4
        let json = try JSONEncoder().encode(metrics)
        #expect(try JSONDecoder().decode(EvaluationMetrics.self, from: json) == metrics)
        let regression = EvaluationMetrics(binary: false)
        #expect(try JSONDecoder().decode(EvaluationMetrics.self, from: try JSONEncoder().encode(regression)) == regression)
        // A histogram that is not base64 of whole Int64s, or of the wrong length, is refused.
        var object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        object["positives"] = "not base64!"
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(EvaluationMetrics.self, from: try JSONSerialization.data(withJSONObject: object))
        }
        object["positives"] = Data([1, 2, 3, 4, 5, 6, 7, 8]).base64EncodedString()
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(EvaluationMetrics.self, from: try JSONSerialization.data(withJSONObject: object))
        }
    }
}
