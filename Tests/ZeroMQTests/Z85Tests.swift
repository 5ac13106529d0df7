import Testing
@testable import ZeroMQ

/// Z85 (ZeroMQ RFC 32) against its published test vector, and rejection of malformed text.
@Suite struct Z85Tests {
    /// RFC 32's example: these eight bytes are "HelloWorld".
    static let helloWorldBytes: [UInt8] = [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B]

    @Test func encodesTheRFCTestVector() {
        #expect(Z85.encode(Self.helloWorldBytes) == "HelloWorld")
    }

    @Test func decodesTheRFCTestVector() {
        #expect(Z85.decode("HelloWorld") == Self.helloWorldBytes)
    }

    @Test func roundTripsEveryByteValue() throws {
        let bytes: [UInt8] = Array(0...255)
        let text = try #require(Z85.encode(bytes))
        #expect(text.utf8.count == 320)
        #expect(Z85.decode(text) == bytes)
    }

    @Test func encodedZerosAndOnes() {
        #expect(Z85.encode([0, 0, 0, 0]) == "00000")
        #expect(Z85.encode([0xFF, 0xFF, 0xFF, 0xFF]) == "%nSc0")
        #expect(Z85.decode("%nSc0") == [0xFF, 0xFF, 0xFF, 0xFF])
    }

    @Test(arguments: [1, 2, 3, 5, 7, 33])
    func encodeRejectsCountsNotAMultipleOfFour(count: Int) {
        #expect(Z85.encode(Array(repeating: 1, count: count)) == nil)
    }

    @Test(arguments: ["H", "Hell", "HelloW", "HelloWorld!", "HelloWorl"])
    func decodeRejectsLengthsNotAMultipleOfFive(text: String) {
        #expect(Z85.decode(text) == nil)
    }

    @Test(arguments: ["Hello Worl", "Hello\"orld", "Hell\u{0}World", "Hello,orld", "Héllo", "HelloWorl~",
                      "`ello", "\\ello", "Hello_orld", "Hello;orld", "Hello'orld", "Hello|orld"])
    func decodeRejectsCharactersOutsideTheAlphabet(text: String) {
        #expect(Z85.decode(text) == nil)
    }

    @Test func decodeRejectsValuesAbove32Bits() {
        // "#####" is 85⁵ − 1, which does not fit in four bytes; "%nSc0" (2³² − 1) is the largest that does.
        #expect(Z85.decode("#####") == nil)
        #expect(Z85.decode("%nSc1") == nil)
    }

    @Test func emptyInputRoundTrips() {
        #expect(Z85.encode([]) == "")
        #expect(Z85.decode("") == [])
    }

    @Test(arguments: [0, 20, 35, 39, 41, 45, 80])
    func curveKeyRejectsTextOfTheWrongLength(length: Int) {
        let text = String(repeating: "0", count: length)
        #expect(CurveKey(z85: text) == nil)
    }

    @Test func curveKeyRejectsTextOutsideTheAlphabet() {
        #expect(CurveKey(z85: String(repeating: "0", count: 39) + " ") == nil)
        #expect(CurveKey(z85: String(repeating: "#", count: 40)) == nil)
    }

    @Test(arguments: [0, 16, 31, 33, 64])
    func curveKeyRejectsRawBytesOfTheWrongLength(count: Int) {
        #expect(CurveKey(bytes: Array(repeating: 9, count: count)) == nil)
    }

    @Test func curveKeyAcceptsFortyCharactersOfZ85() throws {
        let key = try #require(CurveKey(z85: String(repeating: "0", count: 40)))
        #expect(key.bytes == Array(repeating: 0, count: 32))
        #expect(key.z85 == String(repeating: "0", count: 40))
    }
}
