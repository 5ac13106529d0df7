import Foundation

/// A trained model on disk: what `shoal predict` and any other program need to use it.
///
/// Layout (docs/training.md, "The model file"): the bytes `SHOALMDL`, a little-endian u32 header length, the
/// header as UTF-8 JSON, then `parameterCount` little-endian IEEE-754 `Float`s. The header names the model, its
/// layers and where each one's weights (row-major, `outputs × inputs`) and biases sit among the floats, the
/// feature encoding (columns, one-hot categories, standardization), the label, and how it was trained.
public struct ModelFile: Sendable, Equatable {
    public struct Layer: Codable, Sendable, Equatable {
        public var inputs: Int
        public var outputs: Int
        /// Index of the first weight among the floats; the `outputs` biases follow the weights.
        public var weightsOffset: Int
        public var biasOffset: Int
        /// `relu`, `tanh`, or the head for the last layer (`linear`, `sigmoid`, `softmax`).
        public var activation: String
    }

    public struct Header: Codable, Sendable, Equatable {
        public var format = "shoal-model"
        public var version = 1
        public var model: ModelSpec
        public var inputs: Int
        public var parameterCount: Int
        public var layers: [Layer]
        public var encoding: FeatureEncoding
        public var inputNames: [String]
        public var training: [String: String]
    }

    public var header: Header
    public var parameters: [Float]

    public init(network: Network, encoding: FeatureEncoding, parameters: [Float], training: [String: String]) {
        let layers = (0..<network.layerCount).map { l in
            let isLast = l == network.layerCount - 1
            let head: String =
                switch network.spec.head {
                case .linear: "linear"
                case .logistic: "sigmoid"
                case .softmax: "softmax"
                }
            return Layer(
                inputs: network.widths[l], outputs: network.widths[l + 1], weightsOffset: network.offsets[l],
                biasOffset: network.offsets[l] + network.widths[l] * network.widths[l + 1],
                activation: isLast ? head : network.spec.activation.rawValue)
        }
        header = Header(
            model: network.spec, inputs: network.inputs, parameterCount: network.parameterCount, layers: layers,
            encoding: encoding, inputNames: encoding.inputNames, training: training)
        self.parameters = parameters
    }

    static let magic: [UInt8] = Array("SHOALMDL".utf8)

    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        let json = try encoder.encode(header)
        var bytes = Self.magic
        ByteIO.append(UInt32(json.count), to: &bytes)
        bytes += json
        ByteIO.append(floats: parameters, to: &bytes)
        return bytes
    }

    /// - Throws: `TrainingDataError` naming `path` when the bytes are not a model file this version reads.
    public static func decode(_ bytes: [UInt8], path: String) throws -> ModelFile {
        guard bytes.count >= 12, Array(bytes[0..<8]) == magic else {
            throw TrainingDataError("\(path): not a Shoal model file (it does not start with SHOALMDL)")
        }
        let length = Int(ByteIO.u32(bytes, at: 8))
        guard 12 + length <= bytes.count else { throw TrainingDataError("\(path): the model file is truncated") }
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: Data(bytes[12..<(12 + length)]))
        } catch {
            throw TrainingDataError("\(path): the model file's header does not read: \(error)")
        }
        guard header.version == 1 else {
            throw TrainingDataError("\(path): model file version \(header.version); this Shoal reads version 1")
        }
        guard header.parameterCount >= 0, bytes.count == 12 + length + 4 * header.parameterCount else {
            throw TrainingDataError("\(path): the model file is truncated (expected \(header.parameterCount) parameters)")
        }
        // The header must agree with itself: predictions index the inputs and weights by the network it describes
        // (a hand-edited or foreign file would otherwise be read out of bounds, or misaligned without a word).
        guard header.inputs > 0, header.encoding.width == header.inputs else {
            throw TrainingDataError("\(path): the model's encoding makes \(header.encoding.width) inputs, its header says \(header.inputs)")
        }
        let expected = Network(spec: header.model, inputs: header.inputs).parameterCount
        guard expected == header.parameterCount else {
            throw TrainingDataError("\(path): a \(header.model.head) model of \(header.inputs) inputs has \(expected) parameters, the file \(header.parameterCount)")
        }
        var model = ModelFile(
            network: Network(spec: header.model, inputs: header.inputs), encoding: header.encoding, parameters: [],
            training: header.training)
        model.header = header
        model.parameters = ByteIO.floats(bytes[(12 + length)...])
        return model
    }

    public var network: Network { Network(spec: header.model, inputs: header.inputs) }
}
