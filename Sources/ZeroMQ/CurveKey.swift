import CZeroMQ

/// A 32-byte CURVE key (public or secret), printable as 40 Z85 characters (ZeroMQ RFC 32).
public struct CurveKey: Sendable, Hashable, CustomStringConvertible {
    /// The 32 raw key bytes.
    public let bytes: [UInt8]

    /// A key from its 32 raw bytes; `nil` for any other length.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 32 else { return nil }
        self.bytes = bytes
    }

    /// A key from its 40-character Z85 text; `nil` when the text is not a Z85-encoded 32-byte key.
    public init?(z85: String) {
        guard z85.utf8.count == 40, let bytes = Z85.decode(z85), bytes.count == 32 else { return nil }
        self.bytes = bytes
    }

    /// The key as 40 Z85 characters.
    public var z85: String { Z85.encode(bytes)! }

    /// The Z85 text. Printing a secret key prints the secret: the caller decides where it goes.
    public var description: String { z85 }
}

/// A CURVE long-term key pair.
public struct CurveKeyPair: Sendable, Hashable {
    public let publicKey: CurveKey
    public let secretKey: CurveKey

    public init(publicKey: CurveKey, secretKey: CurveKey) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// A new random key pair from libzmq (`zmq_curve_keypair`).
    /// - Throws: `ZMQError` with ENOTSUP when libzmq was built without CURVE.
    public static func generate() throws(ZMQError) -> CurveKeyPair {
        // zmq_curve_keypair writes 40 Z85 characters and a terminating NUL into each buffer: 41 bytes.
        var publicText = [CChar](repeating: 0, count: 41)
        var secretText = [CChar](repeating: 0, count: 41)
        guard zmq_curve_keypair(&publicText, &secretText) == 0 else { throw ZMQError.last("zmq_curve_keypair") }
        let publicKey = CurveKey(z85: String(nulTerminated: publicText))!
        let secretKey = CurveKey(z85: String(nulTerminated: secretText))!
        return CurveKeyPair(publicKey: publicKey, secretKey: secretKey)
    }

    /// The pair for an existing secret key, its public half derived with `zmq_curve_public`.
    public init(secretKey: CurveKey) throws(ZMQError) {
        var publicText = [CChar](repeating: 0, count: 41)
        let secretText = secretKey.z85
        guard zmq_curve_public(&publicText, secretText) == 0 else { throw ZMQError.last("zmq_curve_public") }
        self.init(publicKey: CurveKey(z85: String(nulTerminated: publicText))!, secretKey: secretKey)
    }
}

/// Z85, ZeroMQ's printable encoding of binary data (RFC 32): 4 bytes become 5 characters.
public enum Z85 {
    /// Encodes `bytes`; `nil` when the count is not a multiple of 4.
    public static func encode(_ bytes: [UInt8]) -> String? {
        guard bytes.count % 4 == 0 else { return nil }
        if bytes.isEmpty { return "" }
        var text = [CChar](repeating: 0, count: bytes.count / 4 * 5 + 1)
        guard zmq_z85_encode(&text, bytes, bytes.count) != nil else { return nil }
        return String(nulTerminated: text)
    }

    /// Decodes Z85 `text`; `nil` when its length is not a multiple of 5 or it holds a character outside Z85.
    public static func decode(_ text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 5 == 0 else { return nil }
        // An empty array may have no storage, and libzmq reports failure as a null result: answer directly.
        if utf8.isEmpty { return [] }
        // libzmq's decoder indexes its table with (byte - 32) unchecked; keep to Z85's alphabet first.
        guard utf8.allSatisfy({ alphabet.contains($0) }) else { return nil }
        var bytes = [UInt8](repeating: 0, count: utf8.count / 5 * 4)
        let ok = (utf8.map { CChar(bitPattern: $0) } + [0]).withUnsafeBufferPointer {
            zmq_z85_decode(&bytes, $0.baseAddress) != nil
        }
        return ok ? bytes : nil
    }

    private static let alphabet = Set(
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#".utf8)
}
