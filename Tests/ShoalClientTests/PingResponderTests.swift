import ShoalCoordinator
import ShoalProtocol
import Testing
import ZeroMQ

/// The PING responder is pure: frames a ROUTER received in, frames to send back out.
@Suite struct PingResponderTests {
    let responder = PingResponder(role: "coordinator", software: "shoal test")
    let peer = Frame([0x00, 0x01, 0x02, 0x03, 0x04])

    private func answer(_ message: ShoalMessage, version: UInt8 = ProtocolVersion.current) throws -> ShoalMessage? {
        guard let reply = responder.reply(to: [peer] + ShoalCodec.encode(message, version: version)) else { return nil }
        #expect(reply.first == peer, "a reply must go back to the peer that asked")
        return try ShoalCodec.decode(Array(reply.dropFirst()))
    }

    @Test func pingIsAnsweredWithPongEchoingTheNonce() throws {
        let ours = ProtocolVersion.current
        let reply = try answer(.ping(Ping(nonce: 0xDEAD_BEEF, minVersion: ours, maxVersion: ours, sender: "t")))
        guard case .pong(let pong) = reply else { Issue.record("expected PONG, got \(String(describing: reply))"); return }
        #expect(pong.nonce == 0xDEAD_BEEF)
        #expect(pong.version == ours)
        #expect(pong.role == "coordinator")
        #expect(pong.software == "shoal test")
    }

    @Test func theHighestCommonVersionIsChosen() throws {
        let wide = PingResponder(role: "coordinator", software: "x", versions: 1...4)
        let frames = [peer] + ShoalCodec.encode(Ping(nonce: 1, minVersion: 2, maxVersion: 3, sender: "t"), version: 2)
        let reply = try ShoalCodec.decode(Array(try #require(wide.reply(to: frames)).dropFirst()))
        guard case .pong(let pong) = reply else { Issue.record("expected PONG"); return }
        #expect(pong.version == 3)
        #expect(pong.minVersion == 1 && pong.maxVersion == 4)
    }

    @Test func noCommonVersionIsRefusedWithBothRanges() throws {
        let newer = PingResponder(role: "coordinator", software: "x", versions: 2...3)
        let frames = [peer] + ShoalCodec.encode(Ping(nonce: 1, minVersion: 1, maxVersion: 1, sender: "t"))
        let reply = try ShoalCodec.decode(Array(try #require(newer.reply(to: frames)).dropFirst()))
        guard case .error(let error) = reply else { Issue.record("expected ERROR"); return }
        #expect(error.code == .unsupportedVersion)
        #expect(error.minVersion == 2 && error.maxVersion == 3)
        #expect(error.inReplyTo == MessageType.ping.rawValue)
        #expect(error.message.contains("1…1") && error.message.contains("2…3"))
    }

    @Test func otherMessagesAreRefusedAsUnknownType() throws {
        let reply = try answer(.status(StatusRequest(requestID: 9, jobID: 1)))
        guard case .error(let error) = reply else { Issue.record("expected ERROR"); return }
        #expect(error.code == .unknownType)
        #expect(error.inReplyTo == MessageType.status.rawValue)
    }

    @Test func garbageIsRefusedAsMalformed() throws {
        let reply = try #require(responder.reply(to: [peer, Frame("GET / HTTP/1.1"), Frame("")]))
        guard case .error(let error) = try ShoalCodec.decode(Array(reply.dropFirst())) else {
            Issue.record("expected ERROR"); return
        }
        #expect(error.code == .malformed)
    }

    @Test func aMessageOfAnotherVersionIsRefusedAsUnsupported() throws {
        let frames = [peer] + ShoalCodec.encode(StatusRequest(requestID: 1, jobID: 1), version: 9)
        let reply = try ShoalCodec.decode(Array(try #require(responder.reply(to: frames)).dropFirst()))
        guard case .error(let error) = reply else { Issue.record("expected ERROR"); return }
        #expect(error.code == .unsupportedVersion)
    }

    @Test func errorsPongsAndEventsAreNeverAnswered() throws {
        // Answering an ERROR with an ERROR would let two peers bounce refusals forever.
        #expect(try answer(.error(ErrorReply(code: .malformed, message: "x"))) == nil)
        #expect(try answer(.pong(Pong(nonce: 1, version: 1, role: "r", software: "s"))) == nil)
        let event = ClusterEvent(sequence: 1, timeMs: 1, kind: "k", document: Frame("{}"))
        #expect(try answer(.event(event)) == nil)
        // Nor a malformed message that claims to be one of those.
        #expect(responder.reply(to: [peer, Frame([0x53, 0x48, 0x01, 0x7F]), Frame([0x01])]) == nil)
        // Nor anything without a routing frame and a body.
        #expect(responder.reply(to: [peer]) == nil)
        #expect(responder.reply(to: []) == nil)
    }
}
