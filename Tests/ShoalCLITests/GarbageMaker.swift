import ShoalProtocol
import ZeroMQ

/// Deterministic garbage for one endpoint: random bytes, and valid messages truncated, mutated, given a wrong
/// version or an unknown type, too many frames, or none of their bytes.
struct GarbageMaker {
    var rng: SeededGenerator
    /// Valid messages for the endpoint, as frames of bytes, to be spoilt.
    let templates: [[[UInt8]]]
    static let definedTypes = Set(MessageType.allCases.map(\.rawValue))

    init(seed: UInt64, templates: [[[UInt8]]]) {
        rng = SeededGenerator(seed: seed)
        self.templates = templates
    }

    /// Templates for the worker endpoint. No RESULT: its layout is being reworked, and random bodies under a
    /// RESULT header (the "valid header, random body" garbage) reach its decoder anyway.
    static func workerTemplates() -> [[[UInt8]]] {
        let messages: [any WireMessage] = [
            Hello(workerID: "garbage-worker", host: "nowhere", pid: 1, slots: 4, cores: 4, memoryBytes: 1 << 30,
                  software: "garbage", kinds: ["noop"], held: [TaskRef(taskID: 1, attempt: 1)]),
            Heartbeat(freeSlots: 3, progress: [TaskProgress(task: TaskRef(taskID: 1, attempt: 1), records: 5, bytes: 9)]),
            Bye(reason: "garbage", returned: [TaskRef(taskID: 2, attempt: 1)]),
            Drain(reason: "garbage"),
            Ping(nonce: 1, sender: "garbage"),
            ErrorReply(code: .internalError, message: "garbage"),
            StatusRequest(requestID: 1),
        ]
        return messages.map { ShoalCodec.encode($0).map(\.bytes) }
    }

    /// Templates for the client endpoint: requests that are harmless even when they decode (an invalid job
    /// file, a job and a worker that do not exist).
    static func clientTemplates() -> [[[UInt8]]] {
        let messages: [any WireMessage] = [
            StatusRequest(requestID: 1),
            StatusRequest(requestID: 2, jobID: 987_654_321),
            SubmitJob(requestID: 3, sourceName: "garbage.yaml", workingDirectory: "/tmp",
                      spec: Frame("kind: nope\nname: \"bad\\u0007\"\n")),
            CancelJob(requestID: 4, jobID: 0xDEAD_0000_BEEF, reason: "garbage"),
            DrainWorker(requestID: 5, workerID: "nobody-at-all"),
            Ping(nonce: 6, sender: "garbage"),
            Heartbeat(),
        ]
        return messages.map { ShoalCodec.encode($0).map(\.bytes) }
    }

    mutating func message(_ index: Int) -> [[UInt8]] {
        var message = templates.randomElement(using: &rng)!
        switch index % 10 {
        case 0:  // random frames
            return (0..<Int.random(in: 1...5, using: &rng)).map { _ in bytes(0...64) }
        case 1:  // truncated body, or payload frames dropped
            if message[1].isEmpty || message.count > 2 && Bool.random(using: &rng) {
                message.removeLast()
            } else {
                message[1] = Array(message[1].prefix(Int.random(in: 0..<message[1].count, using: &rng)))
            }
        case 2:  // a few bytes flipped anywhere
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let frame = Int.random(in: 0..<message.count, using: &rng)
                guard !message[frame].isEmpty else { continue }
                message[frame][Int.random(in: 0..<message[frame].count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
            }
        case 3:  // a version nobody speaks
            message[0][2] = [0, 2, 3, 0x7F, 0xFF].randomElement(using: &rng)!
        case 4:  // a type nobody defined
            var type: UInt8
            repeat { type = UInt8.random(in: 0...255, using: &rng) } while Self.definedTypes.contains(type)
            message[0][3] = type
        case 5:  // too many frames: a few more than the body declares, now and then more than 4,096
            let extra = index % 1_000 == 5 ? ProtocolLimits.standard.maxPayloadFrames + 1 : Int.random(in: 1...3, using: &rng)
            message += Array(repeating: [], count: extra)
        case 6:  // empty
            return [[[]], [[], []], [message[0]], [[], message[1]]].randomElement(using: &rng)!
        case 7:  // a header that is not one
            message[0] = Bool.random(using: &rng) ? bytes(0...8) : [0x53, 0x49, 1, message[0][3]]
        case 8:  // a valid header, a random body
            message = [[0x53, 0x48, ProtocolVersion.current, MessageType.allCases.randomElement(using: &rng)!.rawValue],
                       bytes(0...96)] + (0..<Int.random(in: 0...2, using: &rng)).map { _ in bytes(0...16) }
        default:  // valid, but not served here or not from a registered worker
            break
        }
        return message
    }

    private mutating func bytes(_ count: ClosedRange<Int>) -> [UInt8] {
        (0..<Int.random(in: count, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }
}

/// A small seeded generator (SplitMix64): a failing garbage sequence is reproduced from the seed in the message.
struct SeededGenerator: RandomNumberGenerator {
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
