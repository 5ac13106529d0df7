import ZeroMQ

/// SUBMIT, client → coordinator: a job file to plan and run. Answered with ACCEPTED or ERROR (invalid-job).
/// The job file travels verbatim as the one payload frame, so errors can point at its lines.
public struct SubmitJob: WireMessage {
    public static let type = MessageType.submit

    /// How the job file is written.
    public enum Format: UInt8, Sendable {
        case yaml = 1
        case json = 2
    }

    public var requestID: UInt64
    /// Start from scratch instead of resuming an earlier run of the same job.
    public var restart: Bool
    public var format: Format
    /// Where the file came from, for error messages ("cluster/jobs/clicks-etl.yaml").
    public var sourceName: String
    /// The submitter's absolute current directory: relative paths in the job file are resolved against it.
    public var workingDirectory: String
    public var spec: Frame

    public init(
        requestID: UInt64, restart: Bool = false, format: Format = .yaml, sourceName: String,
        workingDirectory: String, spec: Frame
    ) {
        self.requestID = requestID
        self.restart = restart
        self.format = format
        self.sourceName = sourceName
        self.workingDirectory = workingDirectory
        self.spec = spec
    }

    public var payloads: [Frame] { [spec] }

    public func encodeBody(into w: inout WireWriter) {
        w.u64(requestID)
        w.bool(restart)
        w.u8(format.rawValue)
        w.string(sourceName)
        w.string(workingDirectory)
    }

    public init(body r: inout WireReader, payloads: ArraySlice<Frame>) throws(ProtocolError) {
        requestID = try r.u64("request_id")
        restart = try r.bool("restart")
        let code = try r.u8("format")
        guard let format = Format(rawValue: code) else {
            throw .invalidValue(field: "format", reason: "unknown job file format \(code)")
        }
        self.format = format
        sourceName = try r.string("source_name")
        workingDirectory = try r.string("working_directory")
        spec = try Self.requirePayloads(payloads, count: 1, limits: r.limits)[0]
    }
}
