import ShoalProtocol
import Testing
import ZeroMQ

/// Every way a message can be malformed gives its own typed error (docs/protocol.md section 6).
@Suite("Decode errors")
struct DecodeErrorTests {
    @Test("fewer than two frames is a frame-count error")
    func tooFewFrames() {
        #expect(decodeError([[UInt8]]()) == .frameCount(type: "message", expected: 2, got: 0))
        #expect(decodeError([header(0x20)]) == .frameCount(type: "message", expected: 2, got: 1))
    }

    @Test("a header that is not 'SH' + version + type", arguments: [
        [UInt8](), [0x53], [0x53, 0x48, 0x01], [0x53, 0x48, 0x01, 0x20, 0x00], [0x48, 0x53, 0x01, 0x20],
        [0x00, 0x00, 0x00, 0x00],
    ])
    func badHeader(bytes: [UInt8]) {
        #expect(decodeError([bytes, Golden.ping.body]) == .badHeader(bytes: bytes.count))
    }

    @Test("an unknown type byte", arguments: [0x00, 0x06, 0x13, 0x22, 0x37, 0x41, 0x7E, 0x80, 0xFF] as [UInt8])
    func unknownType(type: UInt8) {
        #expect(decodeError([header(type), []]) == .unknownType(type))
    }

    @Test("a version-dependent message in a version this build does not speak", arguments: [0, 1, 2, 255] as [UInt8])
    func wrongVersion(version: UInt8) {
        #expect(
            decodeError([header(0x10, version: version)] + Array(Golden.task.frames.dropFirst()))
                == .unsupportedVersion(got: version, supported: ProtocolVersion.supported))
    }

    @Test("version-independent messages decode under any header version", arguments: [Golden.hello, Golden.ping, Golden.pong, Golden.error])
    func versionIndependent(golden: Golden) throws {
        var parts = golden.frames
        parts[0][2] = 9
        #expect(try ShoalCodec.decode(frames(parts)) == golden.message)
    }

    @Test("every proper prefix of a golden body is truncated, never a trap", arguments: Golden.all)
    func truncatedBodies(golden: Golden) {
        for length in 0..<golden.body.count {
            var parts = golden.frames
            parts[1] = Array(golden.body.prefix(length))
            let error = decodeError(parts)
            // A prefix may also stop right after a list count that the remaining bytes cannot hold, or inside
            // a string; each is reported as truncated. Only the full body decodes.
            guard case .truncated = error else {
                Issue.record("\(golden.name) cut to \(length) bytes gave \(String(describing: error))")
                continue
            }
        }
    }

    @Test("a string field with invalid UTF-8")
    func invalidUTF8() {
        // ERROR: code u16, in_reply_to u8, request_id u64, message string, min_version u8, max_version u8.
        var body: [UInt8] = [0x01, 0x00, 0x20] + le64(7)
        body += wireString([0x66, 0xC3, 0x28])  // "f" + an invalid two-byte sequence
        body += [0x01, 0x01]
        #expect(decodeError([header(0x7F), body]) == .invalidUTF8(field: "message"))
    }

    @Test("a string longer than the limit is refused before it is read")
    func stringTooLarge() {
        let limits = ProtocolLimits(maxStringBytes: 4)
        var body: [UInt8] = [0x01, 0x00, 0x20] + le64(7)
        body += wireString(Array("hello".utf8)) + [0x01, 0x01]
        #expect(decodeError([header(0x7F), body], limits: limits) == .tooLarge(field: "message", size: 5, limit: 4))
    }

    @Test("a string length that claims more bytes than the body has")
    func stringLengthBeyondBody() {
        let body: [UInt8] = [0x01, 0x00, 0x20] + le64(7) + le32(1_000) + Array("short".utf8)
        #expect(decodeError([header(0x7F), body]) == .truncated(type: "ERROR", field: "message"))
    }

    @Test("a list count beyond the limit, and one the body cannot hold")
    func listCounts() {
        let limits = ProtocolLimits(maxListCount: 1)
        #expect(
            decodeError([header(0x10), le32(2)] + [[0x01], [0x02]], limits: limits)
                == .tooLarge(field: "assignments", size: 2, limit: 1))
        #expect(
            decodeError([header(0x10), le32(0xFFFF_FFFF)]) == .tooLarge(field: "assignments", size: 0xFFFF_FFFF, limit: 65_536))
        #expect(decodeError([header(0x10), le32(1_000)]) == .truncated(type: "TASK", field: "assignments"))
    }

    @Test("a body frame beyond the body limit")
    func bodyTooLarge() {
        let limits = ProtocolLimits(maxBodyBytes: 16)
        let error = decodeError(Golden.hello.frames, limits: limits)
        #expect(error == .tooLarge(field: "HELLO body", size: Golden.hello.body.count, limit: 16))
    }

    @Test("a payload frame beyond the payload limit, and too many payload frames")
    func payloadLimits() {
        let small = ProtocolLimits(maxPayloadFrameBytes: 4)
        guard case .tooLarge = decodeError(Golden.task.frames, limits: small) else {
            Issue.record("a 7-byte spec passed a 4-byte payload limit")
            return
        }
        let few = ProtocolLimits(maxPayloadFrames: 1)
        #expect(decodeError(Golden.task.frames, limits: few) == .tooLarge(field: "TASK payload frames", size: 2, limit: 1))
    }

    /// The specs frame must be covered exactly by the spec lengths, and only a later assignment may repeat the
    /// spec before it.
    @Test("spec lengths that do not cover the specs frame, or a first spec that repeats")
    func specLengths() {
        // In the golden TASK: [0]'s spec_length at its offset from the body's end, and the specs frame (index 2).
        let body = Golden.task.frames[1]
        func with(_ length: UInt32, at offsetFromEnd: Int) -> [[UInt8]] {
            var changed = body
            changed.replaceSubrange((changed.count - offsetFromEnd)..<(changed.count - offsetFromEnd + 4), with: le32(length))
            return [Golden.task.frames[0], changed] + Golden.task.frames.dropFirst(2)
        }
        // [1]'s spec_length: 48 bytes from the end (before its attachment count and placement, and [2]'s 39 bytes).
        let second = 48
        func invalid(_ frames: [[UInt8]]) -> String? {
            if case .invalidValue(let field, _) = decodeError(frames) { field } else { nil }
        }
        #expect(try! ShoalCodec.decode(frames(with(3, at: second))) == Golden.task.message, "the offset is [1]'s length")
        #expect(invalid(with(2, at: second)) == "specs", "a byte of the specs frame left over")
        #expect(invalid(with(4, at: second)) == "assignments[1].spec_length", "past the end of the specs frame")
        var specs = Golden.task.frames
        specs[2] = Array(specs[2].dropLast())
        #expect(invalid(specs) == "assignments[1].spec_length", "a specs frame shorter than the lengths")
        var first = body
        first.replaceSubrange(39..<43, with: le32(0xFFFF_FFFF))  // after the count, task, job, kind and timeout
        #expect(invalid([Golden.task.frames[0], first] + Golden.task.frames.dropFirst(2)) == "assignments[0].spec_length")
    }

    @Test("payload frames missing or extra for what the body declares")
    func payloadCountMismatch() {
        let missing = Array(Golden.task.frames.dropLast())
        guard case .frameCount = decodeError(missing) else {
            Issue.record("a TASK with a missing spec frame decoded")
            return
        }
        let extra = Golden.task.frames + [[0x01]]
        guard case .frameCount = decodeError(extra) else {
            Issue.record("a TASK with an extra frame decoded")
            return
        }
        // Attachments the frames do not back: the last assignment's none made two.
        var body = Golden.task.frames[1]
        body.replaceSubrange((body.count - 4)..., with: le32(2) + [0x00, 0x00])
        guard case .frameCount = decodeError([Golden.task.frames[0], body] + Golden.task.frames.dropFirst(2)) else {
            Issue.record("a TASK declaring 2 attachments over 1 frame decoded")
            return
        }
        // A count so large no body could hold its placements is refused before anything is summed.
        body.replaceSubrange((body.count - 6)..., with: le32(0xFFFF_FFFF))
        #expect(decodeError([Golden.task.frames[0], body] + Golden.task.frames.dropFirst(2)) != nil)
        let pingWithPayload = Golden.ping.frames + [[0x01]]
        guard case .frameCount = decodeError(pingWithPayload) else {
            Issue.record("a PING with a payload frame decoded")
            return
        }
    }

    @Test("a boolean that is neither 0 nor 1")
    func badBoolean() throws {
        // SUBMIT: request_id u64, then restart (bool) at offset 8.
        var parts = Golden.submit.frames
        parts[1][8] = 2
        #expect(invalidValueField(decodeError(parts)) == "restart")
    }

    @Test("an empty TASK is refused")
    func emptyTask() {
        #expect(invalidValueField(decodeError([header(0x10), le32(0)])) == "assignments")
    }

    @Test("every error has a message naming what is wrong")
    func descriptions() {
        let errors: [ProtocolError] = [
            .frameCount(type: "TASK", expected: 3, got: 2), .badHeader(bytes: 3),
            .unsupportedVersion(got: 9, supported: 1...1), .unknownType(0x55), .truncated(type: "HELLO", field: "pid"),
            .tooLarge(field: "body", size: 10, limit: 5), .invalidUTF8(field: "host"),
            .invalidValue(field: "outcome", reason: "unknown code 9"),
        ]
        for error in errors { #expect(!error.description.isEmpty) }
        #expect(ProtocolError.truncated(type: "HELLO", field: "pid").description.contains("pid"))
        #expect(ProtocolError.unknownType(0x55).description.contains("0x55"))
        #expect(ProtocolError.unsupportedVersion(got: 9, supported: 1...1).description.contains("9"))
    }
}
