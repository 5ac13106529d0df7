import Foundation

/// A task spec that travels as a small JSON object in TASK's spec frame (docs/protocol.md, section 4.1): the
/// planner encodes it, the kind's executor decodes it. JSON keeps specs readable in `shoal status` and logs.
public protocol JSONTaskSpec: Codable, Sendable {}

extension JSONTaskSpec {
    /// The spec as UTF-8 JSON, keys sorted so equal specs are equal bytes.
    public func jsonBytes() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return Array(try encoder.encode(self))
        } catch {
            // Specs hold only strings, numbers, booleans and string maps, which always encode.
            preconditionFailure("cannot encode \(Self.self) as JSON: \(error)")
        }
    }

    /// Decodes a spec from the bytes `jsonBytes()` made.
    /// - Throws: `DecodingError` when the bytes are not such a spec.
    public init(jsonBytes: some Collection<UInt8>) throws {
        self = try JSONDecoder().decode(Self.self, from: Data(jsonBytes))
    }
}
