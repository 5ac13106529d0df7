import ZeroMQ

/// TASK, coordinator → worker: one or more attempts to run. Several small tasks share one message.
/// Each assignment's spec travels as its own payload frame, followed by its attachments (bulk bytes such as a
/// training step's parameters), in assignment order. An attachment whose bytes are in a shared-memory segment
/// goes by reference to a worker that maps this host's shared memory (`FramePlacement`); the coordinator keeps
/// the segment's file, which several tasks share.
public struct TaskBatch: WireMessage {
    public static let type = MessageType.task
    public var assignments: [TaskAssignment]
    /// The worker it goes to maps the coordinator's shared memory (WELCOME said so). Not itself on the wire.
    public var peerSharesMemory: Bool

    public init(_ assignments: [TaskAssignment], peerSharesMemory: Bool = false) {
        self.assignments = assignments
        self.peerSharesMemory = peerSharesMemory
    }

    // Both below loop by hand: arrays made per assignment (a spec-plus-attachments array to flatten, a list of
    // attachment indices) were a share of a no-op task's cost at the coordinator.
    public var payloads: [Frame] {
        var frames: [Frame] = []
        frames.reserveCapacity(assignments.count)
        for a in assignments {
            frames.append(a.spec)
            for index in a.attachments.indices {
                frames.append(
                    a.placement(ofAttachment: index, peerSharesMemory: peerSharesMemory).wireFrame(for: a.attachments[index]))
            }
        }
        return frames
    }

    public func encodeBody(into w: inout WireWriter) {
        w.list(assignments) { w, a in
            a.task.encode(into: &w)
            w.u64(a.jobID)
            w.string(a.kind)
            w.u32(a.timeoutMs)
            w.u32(UInt32(a.attachments.count))
            for index in a.attachments.indices {
                w.u8(a.placement(ofAttachment: index, peerSharesMemory: peerSharesMemory).rawValue)
            }
        }
    }

    public init(body r: inout WireReader, payloads: ArraySlice<Frame>) throws(ProtocolError) {
        let heads = try r.list("assignments", minimumElementBytes: TaskRef.encodedSize + 8 + 4 + 4 + 4) {
            (r: inout WireReader) throws(ProtocolError) in
            (try TaskRef(from: &r), try r.u64("job_id"), try r.string("kind"), try r.u32("timeout_ms"),
             try r.list("attachments", minimumElementBytes: 1) { (r: inout WireReader) throws(ProtocolError) in
                 try FramePlacement(wire: try r.u8("attachments[]"), field: "attachments[]")
             })
        }
        guard !heads.isEmpty else { throw .invalidValue(field: "assignments", reason: "a TASK carries at least one") }
        // Checked before summing: the frame limit caps the total anyway, and a forged count must not overflow.
        guard heads.allSatisfy({ $0.4.count <= payloads.count }) else {
            throw .frameCount(type: Self.type.description, expected: heads.count + 2, got: payloads.count + 2)
        }
        let frames = try Self.requirePayloads(payloads, count: heads.reduce(0) { $0 + 1 + $1.4.count }, limits: r.limits)
        var next = 0
        assignments = heads.map { head in
            let spec = frames[next]
            let attachments = Array(frames[(next + 1)..<(next + 1 + head.4.count)])
            next += 1 + head.4.count
            return TaskAssignment(
                task: head.0, jobID: head.1, kind: head.2, timeoutMs: head.3, spec: spec, attachments: attachments,
                attachmentPlacements: head.4)
        }
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
