import Foundation

/// A step task's result as it travels from worker to coordinator (a RESULT output frame, committed as
/// `gradient.bin`): a small JSON header, then the gradient summed over the task's micro-batches.
///
/// Layout: `"SHGR"`, u8 encoding (0: fixed point, 16-byte little-endian `Int128` per parameter, 2^−64 units;
/// 1: `Float`, 4 bytes), u32 header length, the header, the values.
public struct GradientFile: Sendable, Equatable {
    public enum Values: Sendable, Equatable {
        case fixedPoint(FixedPointVector)
        case float([Float])

        public var count: Int {
            switch self {
            case .fixedPoint(let v): v.count
            case .float(let v): v.count
            }
        }
    }

    public struct Header: Codable, Sendable, Equatable {
        public var step: Int
        /// The training shards whose micro-batches the task computed.
        public var shards: [Int]
        public var microBatches: [Int]
        public var examples: Int
        /// The summed loss in fixed point (2^−64 units), as decimal text: JSON numbers cannot hold it.
        public var lossSum: String
        public var correct: Int
        /// Time spent computing on the worker, nanoseconds (loading a shard not counted).
        public var computeNanos: UInt64
        /// Time spent loading shards for this task, nanoseconds (0 when they were in memory already).
        public var loadNanos: UInt64
        /// `host:pid` of the worker process.
        public var worker: String
    }

    public var header: Header
    public var values: Values

    public init(header: Header, values: Values) {
        self.header = header
        self.values = values
    }

    public var metrics: StepMetrics {
        StepMetrics(examples: header.examples, lossSum: Int128(header.lossSum) ?? 0, correct: header.correct)
    }

    static let magic: [UInt8] = Array("SHGR".utf8)

    public func encoded() throws -> [UInt8] {
        let json = try JSONEncoder.sorted.encode(header)
        var bytes = Self.magic
        switch values {
        case .fixedPoint(let v):
            bytes.append(0)
            bytes.reserveCapacity(9 + json.count + 16 * v.count)
            ByteIO.append(UInt32(json.count), to: &bytes)
            bytes += json
            ByteIO.append(contentsOf: v.values, to: &bytes)
        case .float(let v):
            bytes.append(1)
            ByteIO.append(UInt32(json.count), to: &bytes)
            bytes += json
            bytes.reserveCapacity(9 + json.count + 4 * v.count)
            ByteIO.append(floats: v, to: &bytes)
        }
        return bytes
    }

    /// - Parameter parameterCount: the model's; a file with another count is refused.
    public static func decode(_ bytes: [UInt8], parameterCount: Int) throws -> GradientFile {
        guard bytes.count >= 9, Array(bytes[0..<4]) == magic, bytes[4] <= 1 else {
            throw TrainingDataError("not a gradient file (no SHGR header)")
        }
        let length = Int(ByteIO.u32(bytes, at: 5))
        let width = bytes[4] == 0 ? 16 : 4
        guard 9 + length + width * parameterCount == bytes.count else {
            throw TrainingDataError(
                "a gradient file of \(bytes.count) bytes does not hold \(parameterCount) parameters after a \(length)-byte header")
        }
        let header = try JSONDecoder().decode(Header.self, from: Data(bytes[9..<(9 + length)]))
        let start = 9 + length
        if bytes[4] == 1 { return GradientFile(header: header, values: .float(ByteIO.floats(bytes[start...]))) }
        let values = ByteIO.int128s(bytes[start...], count: parameterCount)
        return GradientFile(header: header, values: .fixedPoint(FixedPointVector(values: values)))
    }
}
