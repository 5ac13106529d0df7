import Testing
@testable import ShoalTraining

@Suite struct FixedPointVectorTests {
    @Test func everyGroupingAndOrderGivesTheSameBits() throws {
        // Values across 30 binary orders of magnitude, both signs: where Float sums depend on order.
        var random = SplitMix64(seed: 99)
        let terms: [[Float]] = (0..<40).map { _ in
            (0..<16).map { _ in
                let magnitude = Float(1 << random.below(20)) * Float(random.unit()) / Float(1 << 10)
                return random.below(2) == 0 ? magnitude : -magnitude
            }
        }
        var forward = FixedPointVector(count: 16)
        for t in terms { try forward.add(t) }
        var backward = FixedPointVector(count: 16)
        for t in terms.reversed() { try backward.add(t) }
        // Four "workers" with interleaved shares, partials added in a scrambled order.
        var partials = (0..<4).map { _ in FixedPointVector(count: 16) }
        for (i, t) in terms.enumerated() { try partials[i % 4].add(t) }
        var grouped = FixedPointVector(count: 16)
        for k in [2, 0, 3, 1] { try grouped.add(partials[k]) }
        #expect(forward == backward)
        #expect(forward == grouped)
        // Float sums of the same terms do depend on the order (what the fixed point is for).
        let floatForward = terms.reduce(into: [Float](repeating: 0, count: 16)) { s, t in for i in 0..<16 { s[i] += t[i] } }
        let floatBackward = terms.reversed().reduce(into: [Float](repeating: 0, count: 16)) { s, t in for i in 0..<16 { s[i] += t[i] } }
        #expect(floatForward != floatBackward)
    }

    @Test func termsAreExactAboveTwoToTheMinusForty() {
        for x: Float in [1, -1, 0.5, 3.25, -1234.5, 0x1p-40, -0x1p-40, 0x1.fffffep61, Float.leastNormalMagnitude, 0] {
            let fixed = FixedPointVector.fixed(x)!
            #expect(FixedPointVector.double(fixed) == (abs(x) >= 0x1p-40 || x == 0 ? Double(x) : 0), "\(x)")
        }
        // Below 2^-40 a term is rounded to 2^-64: 1.5 · 2^-64 rounds away from zero to 2 · 2^-64.
        #expect(FixedPointVector.fixed(Float(0x1.8p-64)) == 2)
        #expect(FixedPointVector.fixed(Float(-0x1.8p-64)) == -2)
        #expect(FixedPointVector.fixed(Float(0x1p-66)) == 0)
    }

    @Test func nonFiniteAndHugeTermsAreErrorsNamingTheElement() {
        var v = FixedPointVector(count: 3)
        for bad: Float in [.nan, .infinity, -.infinity, 0x1p62, -0x1p70] {
            #expect(throws: FixedPointError.self) { try v.add([0, bad, 0]) }
            do {
                try v.add([0, 0, bad])
            } catch {
                #expect(error.index == 2)
                #expect("\(error)".contains("element 2"))
            }
        }
        #expect(v == FixedPointVector(count: 3))
    }

    @Test func quotientsAreMeans() throws {
        var v = FixedPointVector(count: 2)
        try v.add([3, -1])
        try v.add([5, 0.5])
        #expect(v.quotients(dividedBy: 4) == [2, -0.125])
    }
}

extension FixedPointVectorTests {
    @Test func sumsThatLeaveTheRangeAreErrorsNotWrappedValues() throws {
        var v = FixedPointVector(count: 1)
        // Each term is allowed (below 2^62); the third takes the sum past 2^63.
        try v.add([0x1.8p61])
        try v.add([0x1.8p61])
        #expect(throws: FixedPointError.self) { try v.add([0x1.8p61]) }
        var a = FixedPointVector(count: 1), b = FixedPointVector(count: 1)
        for _ in 0..<2 { try a.add([0x1.8p61]); try b.add([0x1.8p61]) }
        #expect(throws: FixedPointError.self) { try a.add(b) }
    }
}

extension FixedPointVectorTests {
    @Test func sumsReadInPlaceFromUnalignedBytesAddLikeVectors() throws {
        var terms = FixedPointVector(count: 5)
        try terms.add([1.5, -2.25, 0x1p-30, -0x1p40, 3])
        // The sum's bytes one byte off a 16-byte boundary, as in a gradient file received whole.
        let raw = [UInt8(0)] + terms.values.withUnsafeBytes { Array($0) }
        var inPlace = FixedPointVector(count: 5), direct = FixedPointVector(count: 5)
        try inPlace.add([1, 1, 1, 1, 1])
        try direct.add([1, 1, 1, 1, 1])
        try raw.withUnsafeBytes { try inPlace.add(littleEndian: UnsafeRawBufferPointer(rebasing: $0.dropFirst())) }
        try direct.add(terms)
        #expect(inPlace == direct)
        #expect(inPlace.quotients(dividedBy: 1) == [2.5, -1.25, 1 + 0x1p-30, 1 - 0x1p40, 4])
    }
}

/// A gradient file as a worker writes it (into the frame it sends) and as the coordinator reads it in place.
@Suite struct GradientFileTests {
    func header(_ step: Int) -> GradientFile.Header {
        GradientFile.Header(
            step: step, shards: [0, 2], microBatches: [4, 5, 9], examples: 12, lossSum: "123456789012345678901",
            correct: 7, computeNanos: 1, loadNanos: 2, worker: "h:1")
    }

    @Test func aFloatFileComputedInPlaceReadsBackLikeOneWrittenFromItsValues() throws {
        let floats: [Float] = [1.5, -2, 0x1p-40, 3e15, 0]
        var draft = header(3)
        draft.examples = 0
        draft.lossSum = "0"
        draft.correct = 0
        var computed = 0
        let file = try GradientFile.floatOutput(named: "gradient.bin", parameters: 5, header: draft) { room in
            computed += 1
            #expect(room.count == 5)
            _ = room.update(fromContentsOf: floats)
            return header(3)
        }
        #expect(computed == 0, "nothing is computed before the file is written")
        // Written into a buffer of garbage, as a reused frame would be: every byte is set.
        var buffer = [UInt8](repeating: 0xAB, count: file.count)
        try buffer.withUnsafeMutableBytes { try file.write(into: $0) }
        #expect(computed == 1)
        let view = try GradientFile.View(buffer, parameterCount: 5)
        #expect(view.header == header(3) && !view.isFixedPoint)
        view.withValues { raw in
            #expect((0..<5).map { raw.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self) } == floats)
        }
        // The same header with every number at its widest still fits the room the file kept for it.
        var widest = header(3)
        (widest.examples, widest.correct, widest.computeNanos, widest.loadNanos) = (.max, .max, .max, .max)
        widest.lossSum = String(Int128.min)
        let roomy = try GradientFile.floatOutput(named: "g", parameters: 5, header: draft) { _ in widest }
        var bytes = [UInt8](repeating: 0, count: roomy.count)
        try bytes.withUnsafeMutableBytes { try roomy.write(into: $0) }
        #expect(try GradientFile.View(bytes, parameterCount: 5).header == widest)
        // What the computation throws comes out of the write.
        let failing = try GradientFile.floatOutput(named: "g", parameters: 5, header: draft) { _ in
            throw DivergenceError(microBatch: 4, what: "the loss is nan")
        }
        #expect(throws: DivergenceError.self) { try failing.bytes }
    }

    @Test func floatAndFixedPointFilesReadBackInPlaceWithAlignedValues() throws {
        let floats: [Float] = [1.5, -2, 0x1p-40, 3e15, 0]
        var fixed = FixedPointVector(count: 5)
        try fixed.add(floats)
        for (values, isFixed) in [(GradientFile.Values.float(floats), false), (.fixedPoint(fixed), true)] {
            let file = try GradientFile(header: header(3), values: values).output(named: "gradient.bin")
            #expect(file.name == "gradient.bin")
            let bytes = try file.bytes
            #expect(bytes.count == file.count)
            let view = try GradientFile.View(bytes, parameterCount: 5)
            #expect(view.header == header(3) && view.isFixedPoint == isFixed)
            #expect(view.metrics == StepMetrics(examples: 12, lossSum: 123456789012345678901, correct: 7))
            view.withValues { raw in
                // The values fill the rest of the file, from a multiple of 16 bytes on.
                #expect(raw.count == 5 * (isFixed ? 16 : 4) && (bytes.count - raw.count) % 16 == 0)
                if isFixed {
                    var sum = FixedPointVector(count: 5)
                    #expect(throws: Never.self) { try sum.add(littleEndian: raw) }
                    #expect(sum == fixed)
                } else {
                    #expect((0..<5).map { raw.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self) } == floats)
                }
            }
            #expect(throws: TrainingDataError.self) { try GradientFile.View(bytes, parameterCount: 4) }
            #expect(throws: TrainingDataError.self) { try GradientFile.View(Array(bytes.dropFirst()), parameterCount: 5) }
        }
    }
}
