import ShoalProtocol
import Testing
import ZeroMQ

/// Encoding and decoding against frames worked out by hand from docs/protocol.md.
@Suite("Golden frames")
struct GoldenFrameTests {
    @Test("every message type has a golden")
    func everyTypeCovered() {
        let covered = Set(Golden.all.map(\.message.type))
        #expect(covered == Set(MessageType.allCases))
    }

    @Test("encode produces exactly the golden frames", arguments: Golden.all)
    func encodes(golden: Golden) {
        #expect(bytes(ShoalCodec.encode(golden.message)) == golden.frames)
        // The generic entry point, with the concrete message type.
        #expect(bytes(ShoalCodec.encode(golden.message.body)) == golden.frames)
    }

    @Test("decode of the golden frames gives the message back", arguments: Golden.all)
    func decodes(golden: Golden) throws {
        let decoded = try ShoalCodec.decode(frames(golden.frames))
        #expect(decoded == golden.message)
        #expect(decoded.type.rawValue == golden.frames[0][3])
    }

    @Test("decode reads an ArraySlice whose indices do not start at 0", arguments: Golden.all)
    func decodesSlice(golden: Golden) throws {
        let all = [Frame([0xAA])] + frames(golden.frames)
        #expect(try ShoalCodec.decode(all[1...]) == golden.message)
    }

    @Test("unknown trailing body bytes are ignored (section 8)", arguments: Golden.all)
    func trailingBytesIgnored(golden: Golden) throws {
        var parts = golden.frames
        parts[1] += [0xDE, 0xAD, 0xBE, 0xEF, 0x00]
        #expect(try ShoalCodec.decode(frames(parts)) == golden.message)
    }

    @Test("the header carries the version passed to encode")
    func encodeVersion() {
        let encoded = bytes(ShoalCodec.encode(Golden.ping.message, version: 7))
        #expect(encoded[0] == [0x53, 0x48, 0x07, 0x20])
        #expect(Array(encoded.dropFirst()) == Array(Golden.ping.frames.dropFirst()))
    }

    @Test("types and their names match section 4")
    func typeBytes() {
        let table: [(MessageType, UInt8, String)] = [
            (.hello, 0x01, "HELLO"), (.welcome, 0x02, "WELCOME"), (.heartbeat, 0x03, "HEARTBEAT"),
            (.bye, 0x04, "BYE"), (.drain, 0x05, "DRAIN"), (.drainWorker, 0x35, "DRAIN-WORKER"), (.reloadKeys, 0x36, "RELOAD-KEYS"), (.task, 0x10, "TASK"), (.result, 0x11, "RESULT"), (.cancel, 0x12, "CANCEL"),
            (.ping, 0x20, "PING"), (.pong, 0x21, "PONG"), (.submit, 0x30, "SUBMIT"), (.accepted, 0x31, "ACCEPTED"),
            (.status, 0x32, "STATUS"), (.statusReport, 0x33, "STATUS-REPORT"), (.cancelJob, 0x34, "CANCEL-JOB"),
            (.event, 0x40, "EVENT"), (.error, 0x7F, "ERROR"),
        ]
        #expect(table.count == MessageType.allCases.count)
        for (type, byte, name) in table {
            #expect(type.rawValue == byte)
            #expect(type.description == name)
        }
        let independent = Set(MessageType.allCases.filter(\.isVersionIndependent))
        #expect(independent == [.hello, .welcome, .ping, .pong, .error])
    }

    @Test("error codes match section 6")
    func errorCodes() {
        let table: [(ErrorReply.Code, UInt16, String)] = [
            (.malformed, 1, "malformed"), (.unsupportedVersion, 2, "unsupported-version"),
            (.unknownType, 3, "unknown-type"), (.notRegistered, 4, "not-registered"), (.tooLarge, 5, "too-large"),
            (.unauthorized, 6, "unauthorized"), (.invalidJob, 7, "invalid-job"), (.notFound, 8, "not-found"),
            (.shuttingDown, 9, "shutting-down"), (.internalError, 10, "internal"),
        ]
        for (code, raw, name) in table {
            #expect(code.rawValue == raw)
            #expect(ErrorReply.Code(rawValue: raw) == code)
            #expect(code.description == name)
        }
        #expect(ErrorReply.Code(rawValue: 0) == .other(0))
        #expect(ErrorReply.Code(rawValue: 11) == .other(11))
        #expect(ErrorReply.Code(rawValue: 0xFFFF).rawValue == 0xFFFF)
    }
}

@Suite("Routed and event framing")
struct EnvelopeTests {
    @Test("decodeRouted takes the routing-id frame off first")
    func routed() throws {
        let routingID: [UInt8] = [0x00, 0x6B, 0x8B, 0x45, 0x67]  // a ROUTER-generated id
        let (peer, message) = try ShoalCodec.decodeRouted(frames([routingID] + Golden.ping.frames))
        #expect(peer.bytes == routingID)
        #expect(message == Golden.ping.message)
    }

    @Test("decodeRouted with payload frames", arguments: [Golden.task, Golden.result, Golden.submit])
    func routedWithPayloads(golden: Golden) throws {
        let routingID = Array("worker-7".utf8)
        let (peer, message) = try ShoalCodec.decodeRouted(frames([routingID] + golden.frames))
        #expect(peer.bytes == routingID)
        #expect(message == golden.message)
    }

    @Test("decodeRouted with nothing, or with only a routing id, throws frameCount")
    func routedTooShort() {
        #expect(throws: ProtocolError.frameCount(type: "routed message", expected: 3, got: 0)) {
            try ShoalCodec.decodeRouted([])
        }
        #expect(throws: ProtocolError.frameCount(type: "message", expected: 2, got: 0)) {
            try ShoalCodec.decodeRouted([Frame([0x01])])
        }
        #expect(throws: ProtocolError.frameCount(type: "message", expected: 2, got: 1)) {
            try ShoalCodec.decodeRouted(frames([[0x01], Golden.ping.frames[0]]))
        }
    }

    @Test("decodeRouted reports the inner message's error")
    func routedInnerError() {
        #expect(throws: ProtocolError.badHeader(bytes: 3)) {
            try ShoalCodec.decodeRouted(frames([[0x01], [0x53, 0x48, 0x01], Golden.ping.body]))
        }
    }

    @Test("encodeEvent puts the topic frame first")
    func encodeEvent() throws {
        guard case .event(let event) = Golden.event.message else { Issue.record("not an event"); return }
        let encoded = ShoalCodec.encodeEvent(topic: "job.1234", event)
        #expect(bytes(encoded) == [Golden.eventTopic] + Golden.event.frames)
    }

    @Test("decodeEvent reads topic, header, body, document")
    func decodeEvent() throws {
        guard case .event(let event) = Golden.event.message else { Issue.record("not an event"); return }
        let (topic, decoded) = try ShoalCodec.decodeEvent(frames([Golden.eventTopic] + Golden.event.frames))
        #expect(topic == "job.1234")
        #expect(decoded == event)
    }

    @Test("an empty topic and the cluster topic round-trip", arguments: ["", "cluster", "job.élan"])
    func eventTopics(topic: String) throws {
        let event = ClusterEvent(sequence: 1, timeMs: 2, kind: "worker", document: Frame("{}"))
        let (decodedTopic, decoded) = try ShoalCodec.decodeEvent(ShoalCodec.encodeEvent(topic: topic, event))
        #expect(decodedTopic == topic)
        #expect(decoded == event)
    }
}
