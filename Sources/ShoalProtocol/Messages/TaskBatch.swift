import ZeroMQ

/// TASK, coordinator → worker: one or more attempts to run. Several small tasks share one message.
/// Their specs travel together in the first payload frame, each given by its length in the body, or as the same
/// as the assignment's before (a job's tasks often share one: a thousand `noop` tasks carry it once); then each
/// assignment's attachments (bulk bytes such as a training step's parameters), in assignment order. A frame per
/// spec cost libzmq, and the worker, a message part per task. An attachment whose bytes are in a shared-memory
/// segment goes by reference to a worker that maps this host's shared memory (`FramePlacement`); the coordinator
/// keeps the segment's file, which several tasks share.
public struct TaskBatch: WireMessage {
    public static let type = MessageType.task
    public var assignments: [TaskAssignment]
    /// The worker it goes to maps the coordinator's shared memory (WELCOME said so). Not itself on the wire.
    public var peerSharesMemory: Bool

    /// `spec_length` of an assignment whose spec is the one before it.
    static let sameSpec = UInt32.max

    public init(_ assignments: [TaskAssignment], peerSharesMemory: Bool = false) {
        self.assignments = assignments
        self.peerSharesMemory = peerSharesMemory
    }

    /// Whether assignment `index` carries the spec of the one before (and no bytes of its own).
    private func repeatsSpec(_ index: Int) -> Bool {
        index > 0 && assignments[index].spec == assignments[index - 1].spec
    }

    // Both below loop by hand: arrays made per assignment (a spec-plus-attachments array to flatten, a list of
    // attachment indices) were a share of a no-op task's cost at the coordinator.
    public var payloads: [Frame] {
        var total = 0
        for index in assignments.indices where !repeatsSpec(index) { total += assignments[index].spec.count }
        let specs = Frame(unsafeUninitializedCapacity: total) { buffer in
            var offset = 0
            for index in assignments.indices where !repeatsSpec(index) {
                assignments[index].spec.withUnsafeBytes { spec in
                    guard let base = spec.baseAddress, spec.count > 0 else { return }
                    (buffer.baseAddress! + offset).copyMemory(from: base, byteCount: spec.count)
                    offset += spec.count
                }
            }
        }
        var frames = [specs]
        for a in assignments {
            for index in a.attachments.indices {
                frames.append(
                    a.placement(ofAttachment: index, peerSharesMemory: peerSharesMemory).wireFrame(for: a.attachments[index]))
            }
        }
        return frames
    }

    public func encodeBody(into w: inout WireWriter) {
        w.u32(UInt32(assignments.count))
        for index in assignments.indices {
            assignments[index].task.encode(into: &w)
            w.u64(assignments[index].jobID)
            w.string(assignments[index].kind)
            w.u32(assignments[index].timeoutMs)
            w.u32(repeatsSpec(index) ? Self.sameSpec : UInt32(assignments[index].spec.count))
            w.u32(UInt32(assignments[index].attachments.count))
            for attachment in assignments[index].attachments.indices {
                w.u8(assignments[index].placement(ofAttachment: attachment, peerSharesMemory: peerSharesMemory).rawValue)
            }
        }
    }

    public init(body r: inout WireReader, payloads: ArraySlice<Frame>) throws(ProtocolError) {
        let heads = try r.list("assignments", minimumElementBytes: TaskRef.encodedSize + 8 + 4 + 4 + 4 + 4) {
            (r: inout WireReader) throws(ProtocolError) in
            (try TaskRef(from: &r), try r.u64("job_id"), try r.string("kind"), try r.u32("timeout_ms"),
             try r.u32("spec_length"),
             try r.list("attachments", minimumElementBytes: 1) { (r: inout WireReader) throws(ProtocolError) in
                 try FramePlacement(wire: try r.u8("attachments[]"), field: "attachments[]")
             })
        }
        guard !heads.isEmpty else { throw .invalidValue(field: "assignments", reason: "a TASK carries at least one") }
        // Checked before summing: the frame limit caps the total anyway, and a forged count must not overflow.
        guard heads.allSatisfy({ $0.5.count <= payloads.count }) else {
            throw .frameCount(type: Self.type.description, expected: heads.count + 3, got: payloads.count + 2)
        }
        let frames = try Self.requirePayloads(payloads, count: heads.reduce(1) { $0 + $1.5.count }, limits: r.limits)
        let specs = frames[0]
        var offset = 0
        var next = 1
        var previous: Frame?
        var decoded: [TaskAssignment] = []
        decoded.reserveCapacity(heads.count)
        for (index, head) in heads.enumerated() {
            let spec: Frame
            if head.4 == Self.sameSpec {
                guard let previous else {
                    throw .invalidValue(field: "assignments[0].spec_length", reason: "the first spec cannot repeat one before it")
                }
                spec = previous
            } else {
                let length = Int(head.4)
                guard length <= specs.count - offset else {
                    throw .invalidValue(
                        field: "assignments[\(index)].spec_length",
                        reason: "\(length) bytes past the \(specs.count - offset) left in the specs frame")
                }
                spec = specs.withUnsafeBytes { Frame(copying: UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + length)])) }
                offset += length
            }
            previous = spec
            let attachments = Array(frames[next..<(next + head.5.count)])
            next += head.5.count
            decoded.append(TaskAssignment(
                task: head.0, jobID: head.1, kind: head.2, timeoutMs: head.3, spec: spec, attachments: attachments,
                attachmentPlacements: head.5))
        }
        guard offset == specs.count else {
            throw .invalidValue(field: "specs", reason: "\(specs.count - offset) bytes no assignment's spec_length covers")
        }
        assignments = decoded
        peerSharesMemory = false
    }
}

/// One attempt handed to a worker.
public struct TaskAssignment: Sendable, Equatable {
    public var task: TaskRef
    public var jobID: UInt64
    /// Selects the executor on the worker ("command", "etl", "train", …).
    public var kind: String
    /// Kill the attempt after this long; 0: no limit.
    public var timeoutMs: UInt32
    /// The kind-specific description of the work (its format belongs to the kind).
    public var spec: Frame
    /// Bulk bytes that go with the spec, each its own frame (a training step's parameters): sent without a copy,
    /// and one frame can serve every task of a stage.
    public var attachments: [Frame]
    /// Where each received attachment's bytes are: a `.sharedMemory` one holds a `SharedMemoryReference` until
    /// the worker resolves it (`resolvingSharedMemory`). All `.inline` on the sending side.
    public var attachmentPlacements: [FramePlacement]

    public init(
        task: TaskRef, jobID: UInt64, kind: String, timeoutMs: UInt32 = 0, spec: Frame, attachments: [Frame] = [],
        attachmentPlacements: [FramePlacement]? = nil
    ) {
        self.task = task
        self.jobID = jobID
        self.kind = kind
        self.timeoutMs = timeoutMs
        self.spec = spec
        self.attachments = attachments
        self.attachmentPlacements = attachmentPlacements ?? Array(repeating: .inline, count: attachments.count)
    }

    /// How attachment `index` travels: as it came (a reference passed on stays one), else by `FramePlacement.of`.
    func placement(ofAttachment index: Int, peerSharesMemory: Bool) -> FramePlacement {
        if index < attachmentPlacements.count, attachmentPlacements[index] == .sharedMemory { return .sharedMemory }
        return FramePlacement.of(attachments[index], peerSharesMemory: peerSharesMemory)
    }

    /// The assignment with its shared-memory attachments mapped in place (through `mappings`; the coordinator
    /// keeps the files), and the output room lent to this attempt, taken out of the attachments.
    /// - Throws: `SharedMemoryError` or `ProtocolError` naming the segment that could not be mapped.
    public func resolvingSharedMemory(using mappings: SharedMemoryMappings) throws
        -> (assignment: TaskAssignment, outputRoom: SharedMemorySegment?)
    {
        guard attachmentPlacements.contains(where: { $0 != .inline }) else { return (self, nil) }
        var resolved = self
        resolved.attachments = []
        resolved.attachmentPlacements = []
        var room: SharedMemorySegment?
        for (index, frame) in attachments.enumerated() {
            let placement = index < attachmentPlacements.count ? attachmentPlacements[index] : .inline
            switch placement {
            case .inline:
                resolved.attachments.append(frame)
            case .sharedMemory:
                resolved.attachments.append(try mappings.segment(SharedMemoryReference(decoding: frame), writable: false).frame)
            case .outputRoom:
                room = try mappings.segment(SharedMemoryReference(decoding: frame), writable: true)
            }
            if placement != .outputRoom { resolved.attachmentPlacements.append(.inline) }
        }
        return (resolved, room)
    }
}
