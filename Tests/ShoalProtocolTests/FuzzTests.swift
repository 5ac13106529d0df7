import ShoalProtocol
import Testing
import ZeroMQ

/// A small, seeded generator (SplitMix64), so a failing input can be reproduced from the seed in the message.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Feeds the decoder random and mutated frames. A trap would kill the test process, so merely finishing is the
/// first assertion; the second is that whatever does decode re-encodes to frames that decode to the same message.
@Suite("Decoder fuzzing")
struct FuzzTests {
    static let seed: UInt64 = 0x5EED_F00D
    static let iterations = 120_000

    @Test("at least 100,000 random and mutated inputs: typed errors or valid messages, never a trap")
    func fuzz() throws {
        var rng = SplitMix64(seed: Self.seed)
        var decoded = 0
        var rejected: [String: Int] = [:]
        let limits = ProtocolLimits(maxBodyBytes: 4_096, maxPayloadFrameBytes: 1_024, maxPayloadFrames: 8,
                                    maxStringBytes: 256, maxListCount: 64)
        for iteration in 0..<Self.iterations {
            let input: [[UInt8]]
            switch iteration % 4 {
            case 0: input = Self.randomFrames(&rng)
            case 1: input = Self.mutate(Golden.all[Int.random(in: 0..<Golden.all.count, using: &rng)].frames, &rng)
            case 2: input = Self.validHeaderRandomBody(&rng)
            default:
                input = Self.mutate(Self.mutate(Golden.all.randomElement(using: &rng)!.frames, &rng), &rng)
            }
            do {
                let message = try ShoalCodec.decode(frames(input), limits: limits)
                decoded += 1
                let again = try ShoalCodec.decode(ShoalCodec.encode(message), limits: .standard)
                #expect(again == message, "seed \(Self.seed) iteration \(iteration): re-encoding changed the message")
            } catch {
                rejected[Self.kind(of: error), default: 0] += 1
            }
        }
        // The mutations must reach both sides, or the fuzzer tests nothing interesting.
        #expect(decoded > 1_000, "only \(decoded) inputs decoded")
        for kind in ["frameCount", "badHeader", "unknownType", "truncated", "unsupportedVersion", "tooLarge"] {
            #expect(rejected[kind, default: 0] > 0, "no input produced \(kind): \(rejected)")
        }
    }

    @Test("random well-formed messages round-trip through encode and decode")
    func roundTripProperty() throws {
        var rng = SplitMix64(seed: Self.seed ^ 0xFFFF)
        for _ in 0..<5_000 {
            let message = Self.randomMessage(&rng)
            let decoded = try ShoalCodec.decode(ShoalCodec.encode(message))
            #expect(decoded == message)
        }
    }

    // MARK: - Inputs

    static func randomBytes(_ rng: inout SplitMix64, max: Int) -> [UInt8] {
        (0..<Int.random(in: 0...max, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    static func randomFrames(_ rng: inout SplitMix64) -> [[UInt8]] {
        (0..<Int.random(in: 0...5, using: &rng)).map { _ in randomBytes(&rng, max: 64) }
    }

    static func validHeaderRandomBody(_ rng: inout SplitMix64) -> [[UInt8]] {
        let type = MessageType.allCases.randomElement(using: &rng)!
        var parts = [header(type.rawValue), randomBytes(&rng, max: 96)]
        for _ in 0..<Int.random(in: 0...3, using: &rng) { parts.append(randomBytes(&rng, max: 16)) }
        return parts
    }

    /// One structural or byte-level change: flip, insert, delete, truncate, extend, duplicate or drop a frame,
    /// or write a boundary value (0, 0xFF…, a huge length) over a 4-byte window.
    static func mutate(_ parts: [[UInt8]], _ rng: inout SplitMix64) -> [[UInt8]] {
        var parts = parts
        guard !parts.isEmpty else { return [randomBytes(&rng, max: 8)] }
        let index = Int.random(in: 0..<parts.count, using: &rng)
        var frame = parts[index]
        switch Int.random(in: 0..<9, using: &rng) {
        case 0 where !frame.isEmpty:
            frame[Int.random(in: 0..<frame.count, using: &rng)] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &rng)
        case 1:
            frame.insert(UInt8.random(in: 0...255, using: &rng), at: Int.random(in: 0...frame.count, using: &rng))
        case 2 where !frame.isEmpty:
            frame.remove(at: Int.random(in: 0..<frame.count, using: &rng))
        case 3:
            frame = Array(frame.prefix(Int.random(in: 0...frame.count, using: &rng)))
        case 4:
            frame += randomBytes(&rng, max: 12)
        case 5:
            parts.insert(frame, at: index)
        case 6:
            parts.remove(at: index)
            return parts
        case 7 where frame.count >= 4:
            let at = Int.random(in: 0...(frame.count - 4), using: &rng)
            let value: UInt32 = [0, 0xFFFF_FFFF, 0x7FFF_FFFF, 0x0001_0001, 65_537].randomElement(using: &rng)!
            frame.replaceSubrange(at..<(at + 4), with: le32(value))
        default:
            if index == 0, frame.count == 4 {
                // A header: another type byte, or another version.
                if Bool.random(using: &rng) { frame[3] = UInt8.random(in: 0...255, using: &rng) }
                else { frame[2] = UInt8.random(in: 0...3, using: &rng) }
            } else {
                frame = randomBytes(&rng, max: 32)
            }
        }
        parts[index] = frame
        return parts
    }

    static func kind(of error: ProtocolError) -> String {
        switch error {
        case .frameCount: "frameCount"
        case .badHeader: "badHeader"
        case .unsupportedVersion: "unsupportedVersion"
        case .unknownType: "unknownType"
        case .truncated: "truncated"
        case .tooLarge: "tooLarge"
        case .invalidUTF8: "invalidUTF8"
        case .invalidValue: "invalidValue"
        }
    }

    static func randomString(_ rng: inout SplitMix64) -> String {
        let alphabet = Array("abcXYZ019 -_.éα日🐟")
        return String((0..<Int.random(in: 0...12, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
    }

    /// A random valid message of a few types with lists, strings and payloads.
    static func randomMessage(_ rng: inout SplitMix64) -> ShoalMessage {
        let refs = (0..<Int.random(in: 0...4, using: &rng)).map { _ in
            TaskRef(taskID: UInt64.random(in: 1...UInt64.max, using: &rng), attempt: UInt32.random(in: 1...9, using: &rng))
        }
        switch Int.random(in: 0..<4, using: &rng) {
        case 0:
            let low = UInt8.random(in: 1...3, using: &rng)
            return .hello(Hello(
                minVersion: low, maxVersion: low + UInt8.random(in: 0...2, using: &rng),
                workerID: "w" + randomString(&rng), host: randomString(&rng), pid: UInt32.random(in: 1...UInt32.max, using: &rng),
                slots: UInt16.random(in: 1...64, using: &rng), cores: UInt16.random(in: 1...256, using: &rng),
                memoryBytes: UInt64.random(in: 0...UInt64.max, using: &rng), software: randomString(&rng),
                kinds: (0..<Int.random(in: 0...3, using: &rng)).map { _ in randomString(&rng) }, held: refs))
        case 1:
            let assignments = (0..<Int.random(in: 1...4, using: &rng)).map { _ in
                TaskAssignment(
                    task: TaskRef(taskID: UInt64.random(in: 1...1_000, using: &rng), attempt: 1),
                    jobID: UInt64.random(in: 1...99, using: &rng), kind: randomString(&rng),
                    timeoutMs: UInt32.random(in: 0...UInt32.max, using: &rng), spec: Frame(randomBytes(&rng, max: 2_000)))
            }
            return .task(TaskBatch(assignments))
        case 2:
            return .cancel(CancelTasks(tasks: refs, reason: randomString(&rng)))
        default:
            return .error(ErrorReply(
                code: ErrorReply.Code(rawValue: UInt16.random(in: 0...20, using: &rng)), inReplyTo: 0x30,
                requestID: UInt64.random(in: 0...UInt64.max, using: &rng), message: randomString(&rng)))
        }
    }
}
