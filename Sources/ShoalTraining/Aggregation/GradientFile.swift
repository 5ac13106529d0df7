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

    /// The file as a task output, written where the executor wants it (a frame) in one pass.
    public func output(named name: String) throws -> TaskOutputFile {
        let json = try JSONEncoder.sorted.encode(header)
        let offset = Self.valuesOffset(headerLength: json.count)
        let values = values
        let width: Int
        switch values {
        case .fixedPoint: width = 16
        case .float: width = 4
        }
        return TaskOutputFile(name: name, count: offset + width * values.count) { buffer in
            // Only the header and its padding are zeroed: the values overwrite the rest (tens of MiB written once,
            // not twice).
            UnsafeMutableRawBufferPointer(rebasing: buffer[..<offset]).initializeMemory(as: UInt8.self, repeating: 0)
            buffer.copyBytes(from: Self.magic)
            buffer[4] = width == 16 ? 0 : 1
            buffer.storeBytes(of: UInt32(json.count).littleEndian, toByteOffset: 5, as: UInt32.self)
            UnsafeMutableRawBufferPointer(rebasing: buffer[9..<(9 + json.count)]).copyBytes(from: json)
            let target = UnsafeMutableRawBufferPointer(rebasing: buffer[offset...])
            #if _endian(little)
            switch values {
            case .fixedPoint(let v): v.values.withUnsafeBytes { target.copyMemory(from: $0) }
            case .float(let v): v.withUnsafeBytes { target.copyMemory(from: $0) }
            }
            #else
            var bytes: [UInt8] = []
            switch values {
            case .fixedPoint(let v): ByteIO.append(contentsOf: v.values, to: &bytes)
            case .float(let v): ByteIO.append(floats: v, to: &bytes)
            }
            target.copyBytes(from: bytes)
            #endif
        }
    }

    /// A `Float` gradient file whose values `compute` writes where the file is written (the frame that carries
    /// it), then returns the header; `header` is a draft with the fields known before (step, shards, micro-batches,
    /// worker). The header's room is fixed up front — the draft with its numbers at their widest — and the JSON is
    /// padded with spaces to fill it, so the values' place is known before they are computed.
    /// - Parameter compute: called once, on the thread that writes the file, with room for `parameters` floats.
    public static func floatOutput(
        named name: String, parameters count: Int, header draft: Header,
        compute: @escaping (UnsafeMutableBufferPointer<Float>) throws -> Header
    ) throws -> TaskOutputFile {
        var widest = draft
        widest.examples = .max
        widest.lossSum = String(Int128.min)
        widest.correct = .max
        widest.computeNanos = .max
        widest.loadNanos = .max
        let room = try JSONEncoder.sorted.encode(widest).count
        let offset = valuesOffset(headerLength: room)
        // The file is written once, on the thread that asked for it (the worker's task thread), while what
        // `compute` reads is valid (`TrainTaskRunner.run(_:job:parameters:emit:)`).
        nonisolated(unsafe) let compute = compute
        return TaskOutputFile(name: name, count: offset + 4 * count) { buffer in
            let values = UnsafeMutableRawBufferPointer(rebasing: buffer[offset...]).bindMemory(to: Float.self)
            let header = try compute(values)
            #if _endian(big)
            for index in values.indices { values[index] = Float(bitPattern: values[index].bitPattern.littleEndian) }
            #endif
            var json = Array(try JSONEncoder.sorted.encode(header))
            guard json.count <= room else {
                throw TrainingDataError("a gradient header of \(json.count) bytes outgrew its \(room)-byte room")
            }
            json += [UInt8](repeating: UInt8(ascii: " "), count: room - json.count)
            UnsafeMutableRawBufferPointer(rebasing: buffer[..<offset]).initializeMemory(as: UInt8.self, repeating: 0)
            buffer.copyBytes(from: magic)
            buffer[4] = 1
            buffer.storeBytes(of: UInt32(room).littleEndian, toByteOffset: 5, as: UInt32.self)
            UnsafeMutableRawBufferPointer(rebasing: buffer[9..<(9 + room)]).copyBytes(from: json)
        }
    }

    /// An upper bound of a step's gradient file for a model of `parameters`: values plus 64 KiB for the header
    /// (whose micro-batch list grows with the step; a larger one does not fit a room sized so, and travels in
    /// a segment of its own).
    public static func maximumBytes(parameters: Int, fixedPoint: Bool) -> Int {
        (64 << 10) + parameters * (fixedPoint ? 16 : 4)
    }

    /// The most bytes a gradient file may take: one payload frame (`ProtocolLimits.standard.maxPayloadFrameBytes`),
    /// which a worker on another host must send it in.
    public static let frameLimit = 1 << 30

    /// Why a model of `parameters` cannot train, or nil: its gradient file would not fit one frame. Said at
    /// submit for the least the model can be (every feature one input), and checked again once the features'
    /// widths are known, before anything that size is allocated.
    public static func sizeProblem(parameters: Int, fixedPoint: Bool) -> String? {
        let bytes = maximumBytes(parameters: parameters, fixedPoint: fixedPoint)
        guard bytes > frameLimit else { return nil }
        return "a model of \(parameters) parameters: its \(fixedPoint ? "deterministic (16 bytes a parameter)" : "float")"
            + " gradient would take \(bytes) bytes, above the \(frameLimit) a frame may hold; use fewer or narrower"
            + " hidden layers\(fixedPoint ? ", or deterministic: false (4 bytes a parameter)" : "")"
    }

    /// Where the values start: after the 9 fixed bytes and the header, rounded up to a multiple of 16.
    static func valuesOffset(headerLength: Int) -> Int { (9 + headerLength + 15) & ~15 }

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
