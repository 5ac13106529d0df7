import Foundation

/// A step task's result as it travels from worker to coordinator (a RESULT output frame, committed as
/// `gradient.bin`): a small JSON header, then the gradient summed over the task's micro-batches.
///
/// Layout: `"SHGR"`, u8 encoding (0: fixed point, 16-byte little-endian `Int128` per parameter, 2^−64 units;
/// 1: `Float`, 4 bytes), u32 header length, the header, zero bytes up to the next multiple of 16, the values.
/// The padding puts the values on their natural alignment in a received frame, so the coordinator sums them
/// where they arrived (`View`) instead of copying tens of MiB out first.
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
            bytes.reserveCapacity(Self.valuesOffset(headerLength: json.count) + 16 * v.count)
            ByteIO.append(UInt32(json.count), to: &bytes)
            bytes += json
            bytes += repeatElement(0, count: Self.valuesOffset(headerLength: json.count) - bytes.count)
            ByteIO.append(contentsOf: v.values, to: &bytes)
        case .float(let v):
            bytes.append(1)
            bytes.reserveCapacity(Self.valuesOffset(headerLength: json.count) + 4 * v.count)
            ByteIO.append(UInt32(json.count), to: &bytes)
            bytes += json
            bytes += repeatElement(0, count: Self.valuesOffset(headerLength: json.count) - bytes.count)
            ByteIO.append(floats: v, to: &bytes)
        }
        return bytes
    }

    /// Where the values start: after the 9 fixed bytes and the header, rounded up to a multiple of 16.
    static func valuesOffset(headerLength: Int) -> Int { (9 + headerLength + 15) & ~15 }

    /// - Parameter parameterCount: the model's; a file with another count is refused.
    public static func decode(_ bytes: [UInt8], parameterCount: Int) throws -> GradientFile {
        let view = try View(bytes, parameterCount: parameterCount)
        let values: Values = view.withValues { raw in
            let slice = ArraySlice(UnsafeBufferPointer(start: raw.baseAddress?.assumingMemoryBound(to: UInt8.self), count: raw.count))
            return view.isFixedPoint
                ? .fixedPoint(FixedPointVector(values: ByteIO.int128s(slice, count: parameterCount)))
                : .float(ByteIO.floats(slice))
        }
        return GradientFile(header: view.header, values: values)
    }

    /// A gradient file read where it lies (a frame as it arrived): the header decoded, the values left in place
    /// for the sum to read.
    public struct View {
        public let header: Header
        public let isFixedPoint: Bool
        let bytes: any ContiguousBytes
        let offset: Int
        let length: Int

        /// - Parameter parameterCount: the model's; a file with another count is refused.
        public init(_ bytes: any ContiguousBytes, parameterCount: Int) throws {
            let (header, encoding, offset, total) = try bytes.withUnsafeBytes { raw throws -> (Header, UInt8, Int, Int) in
                guard raw.count >= 9, raw.prefix(4).elementsEqual(GradientFile.magic), raw[4] <= 1 else {
                    throw TrainingDataError("not a gradient file (no SHGR header)")
                }
                let length = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 5, as: UInt32.self)))
                let offset = GradientFile.valuesOffset(headerLength: length)
                let width = raw[4] == 0 ? 16 : 4
                guard offset + width * parameterCount == raw.count else {
                    throw TrainingDataError(
                        "a gradient file of \(raw.count) bytes does not hold \(parameterCount) parameters after a \(length)-byte header")
                }
                let header = try JSONDecoder().decode(Header.self, from: Data(raw[9..<(9 + length)]))
                return (header, raw[4], offset, raw.count)
            }
            self.header = header
            self.isFixedPoint = encoding == 0
            self.bytes = bytes
            self.offset = offset
            self.length = total - offset
        }

        public var metrics: StepMetrics {
            StepMetrics(examples: header.examples, lossSum: Int128(header.lossSum) ?? 0, correct: header.correct)
        }

        /// Calls `body` with the values' bytes in place: little-endian `Int128`s or `Float`s.
        public func withValues<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
            try bytes.withUnsafeBytes { raw in try body(UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + length)])) }
        }
    }
}
