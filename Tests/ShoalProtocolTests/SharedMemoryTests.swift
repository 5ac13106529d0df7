import Foundation
import ShoalProtocol
import Testing
import ZeroMQ

/// Bulk frames through shared memory: segments, the references TASK and RESULT carry, who removes which file,
/// and the names a peer may not make us open.
@Suite("Shared memory", .enabled(if: SharedMemorySegment.isAvailable, "no writable /dev/shm here"))
struct SharedMemoryTests {
    static func exists(_ name: String) -> Bool {
        FileManager.default.fileExists(atPath: SharedMemorySegment.directory + "/" + name)
    }

    static func pattern(_ count: Int, seed: UInt8 = 7) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed)) }
    }

    @Test("a segment's bytes reach a reader in place; its file goes when the creator lets go")
    func segmentRoundTrip() throws {
        let bytes = Self.pattern(300_000)
        var name = ""
        do {
            let frame = BulkFrames(sharedMemory: true).make(count: bytes.count) { $0.copyBytes(from: bytes) }
            let segment = try #require(frame.owner as? SharedMemorySegment, "a big frame goes in shared memory")
            name = segment.name
            #expect(name.hasPrefix(SharedMemorySegment.ownPrefix))
            let reader = try SharedMemorySegment.open(
                SharedMemoryReference(name: name, count: bytes.count), prefix: SharedMemorySegment.ownPrefix,
                takeFile: false)
            #expect(reader.frame.bytes == bytes)
            #expect(Self.exists(name), "the reader did not take the file")
        }
        #expect(!Self.exists(name), "the creator removed its file when the last frame went")
    }

    @Test("small frames, and frames when shared memory is off, stay on the heap")
    func heapFrames() {
        let small = BulkFrames(sharedMemory: true).make(count: 1_000) { $0.initializeMemory(as: UInt8.self, repeating: 1) }
        #expect(small.owner == nil)
        let off = BulkFrames.heap.make(count: 1 << 20) { $0.initializeMemory(as: UInt8.self, repeating: 2) }
        #expect(off.owner == nil)
        #expect(off.bytes == [UInt8](repeating: 2, count: 1 << 20))
    }

    @Test("a RESULT output in shared memory goes by reference; the receiver maps it and takes the file")
    func resultByReference() throws {
        let gradient = Self.pattern(1 << 20, seed: 3)
        let frame = BulkFrames(sharedMemory: true).make(count: gradient.count) { $0.copyBytes(from: gradient) }
        let segment = try #require(frame.owner as? SharedMemorySegment)
        segment.handOver()
        let result = TaskResult(
            task: TaskRef(taskID: 5, attempt: 2), outcome: .succeeded, exitStatus: 0,
            outputs: [NamedFrame(name: "gradient.bin", frame: frame), NamedFrame(name: "small", frame: Frame([1, 2, 3]))])
        let encoded = ShoalCodec.encode(ResultBatch([result], peerSharesMemory: true))
        #expect(encoded.allSatisfy { $0.count < 1_000 }, "only the name travels, not the megabyte")
        guard case .result(let batch) = try ShoalCodec.decode(encoded) else {
            Issue.record("not a RESULT")
            return
        }
        let received = try #require(batch.results.first)
        #expect(received.outputs.map(\.placement) == [.sharedMemory, .inline])
        let resolved = try received.resolvingSharedMemory(prefix: SharedMemorySegment.ownPrefix)
        #expect(resolved.outputs[0].frame.bytes == gradient)
        #expect(resolved.outputs[1].frame.bytes == [1, 2, 3])
        #expect(!resolved.hasSharedMemoryOutputs)
        #expect(!Self.exists(segment.name), "the receiver removed the file it was handed")

        // To a peer that does not share memory, the same frame travels whole.
        let inline = ShoalCodec.encode(ResultBatch([result]))
        guard case .result(let whole) = try ShoalCodec.decode(inline) else {
            Issue.record("not a RESULT")
            return
        }
        #expect(whole.results[0].outputs[0].placement == .inline)
        #expect(whole.results[0].outputs[0].frame.bytes == gradient)
    }

    @Test("a TASK attachment in shared memory goes by reference to a worker that shares it; the sender keeps the file")
    func attachmentByReference() throws {
        let parameters = Self.pattern(600_000, seed: 9)
        let frame = BulkFrames(sharedMemory: true).make(count: parameters.count) { $0.copyBytes(from: parameters) }
        let segment = try #require(frame.owner as? SharedMemorySegment)
        let assignment = TaskAssignment(
            task: TaskRef(taskID: 1, attempt: 1), jobID: 3, kind: "train", spec: Frame([0]), attachments: [frame])
        let mappings = SharedMemoryMappings()
        for sharing in [true, false] {
            let encoded = ShoalCodec.encode(TaskBatch([assignment, assignment], peerSharesMemory: sharing))
            guard case .task(let batch) = try ShoalCodec.decode(encoded) else {
                Issue.record("not a TASK")
                return
            }
            #expect(batch.assignments.map(\.attachmentPlacements) == Array(repeating: [sharing ? .sharedMemory : .inline], count: 2))
            for received in batch.assignments {
                let (resolved, room) = try received.resolvingSharedMemory(using: mappings)
                #expect(resolved.attachments[0].bytes == parameters)
                #expect(resolved.attachmentPlacements == [FramePlacement.inline])
                #expect(room == nil)
            }
            #expect(Self.exists(segment.name), "the coordinator's file serves every task of the stage")
        }
        #expect(mappings.count == 1, "the worker mapped the segment once for both tasks")
    }

    @Test("a pool lends the same pages again; an output room returns only once its result came")
    func poolReuse() throws {
        let pool = SharedMemoryPool()
        var name = ""
        do {
            let lease = try pool.lease(count: 1 << 20)
            name = lease.segment.name
            #expect(pool.freeBytes == 0)
        }
        #expect(pool.freeBytes == 1 << 20)
        #expect(try pool.lease(count: 1 << 20).segment.name == name, "the same segment, pages still mapped")
        var room = ""
        do {
            let lease = try pool.lease(count: 1 << 20, outputRoom: true)
            #expect(lease.segment.name == name)
            room = lease.segment.name
        }
        #expect(pool.freeBytes == 0, "a room whose attempt never returned is not lent again")
        #expect(!Self.exists(room), "it is removed instead")
        do {
            let lease = try pool.lease(count: 1 << 20, outputRoom: true)
            lease.recycle()
        }
        #expect(pool.freeBytes == 1 << 20)
        let small = SharedMemoryPool(capacityBytes: 1 << 20)
        do {
            let a = try small.lease(count: 1 << 20), b = try small.lease(count: 1 << 20)
            _ = (a, b)
        }
        #expect(small.freeBytes == 1 << 20, "no more than its capacity is kept")
        small.drain()
        #expect(small.freeBytes == 0)
    }

    @Test("a worker writes its output into the room lent to its attempt; the coordinator reads it there")
    func outputRoomRoundTrip() throws {
        let pool = SharedMemoryPool()
        let parameters = Self.pattern(400_000, seed: 1)
        let params = try pool.lease(count: parameters.count)
        params.segment.bytes.copyBytes(from: parameters)
        let room = try pool.lease(count: 2 << 20, outputRoom: true)
        let assignment = TaskAssignment(
            task: TaskRef(taskID: 9, attempt: 1), jobID: 1, kind: "train", spec: Frame([0]),
            attachments: [params.frame, room.frame])
        guard case .task(let batch) = try ShoalCodec.decode(ShoalCodec.encode(TaskBatch([assignment], peerSharesMemory: true))) else {
            Issue.record("not a TASK")
            return
        }
        #expect(batch.assignments[0].attachmentPlacements == [.sharedMemory, .outputRoom])
        let (resolved, lent) = try batch.assignments[0].resolvingSharedMemory(using: SharedMemoryMappings())
        #expect(resolved.attachments.count == 1, "the room is not one of the task's attachments")
        #expect(resolved.attachments[0].bytes == parameters)
        let writtenRoom = try #require(lent)

        let gradient = Self.pattern(1_500_000, seed: 5)
        let output = BulkFrames(room: writtenRoom, sharedMemory: true).make(count: gradient.count) { $0.copyBytes(from: gradient) }
        let result = TaskResult(task: assignment.task, outcome: .succeeded, outputs: [NamedFrame(name: "gradient.bin", frame: output)])
        guard case .result(let back) = try ShoalCodec.decode(ShoalCodec.encode(ResultBatch([result], peerSharesMemory: true))) else {
            Issue.record("not a RESULT")
            return
        }
        var recycled = false
        let resolvedResult = try back.results[0].resolvingSharedMemory(prefix: nil) { reference in
            guard reference.name == room.segment.name else { return nil }
            room.recycle()
            recycled = true
            return room.frame(count: reference.count)
        }
        #expect(recycled)
        #expect(resolvedResult.outputs[0].frame.bytes == gradient)
        #expect(Self.exists(room.segment.name), "the room stays the coordinator's")

        // A result naming a room that is not this attempt's is not read.
        #expect(throws: SharedMemoryError.self) { try back.results[0].resolvingSharedMemory(prefix: nil) { _ in nil } }
        // And a worker may not return an output room.
        var body = ShoalCodec.encode(ResultBatch([result], peerSharesMemory: true))
        var bytes = body[1].bytes
        bytes[bytes.count - 1] = FramePlacement.outputRoom.rawValue
        body[1] = Frame(bytes)
        #expect(throws: ProtocolError.self) { try ShoalCodec.decode(body) }
    }

    @Test("names outside the sender's prefix, tricks with paths, and wrong sizes are refused")
    func refusals() throws {
        let segment = try SharedMemorySegment.create(count: 4_096)
        let reference = SharedMemoryReference(name: segment.name, count: 4_096)
        #expect(throws: SharedMemoryError.self) {
            try SharedMemorySegment.open(reference, prefix: SharedMemorySegment.prefix(ofProcess: 1), takeFile: true)
        }
        #expect(Self.exists(segment.name), "a refused reference removes nothing")
        for name in ["../etc/passwd", "shoal-1-2-../../x", "shoal-1-2-3-ZZ", "other-1-2-3-ab", "shoal-" + String(repeating: "1", count: 100)] {
            #expect(throws: SharedMemoryError.self, "\(name)") {
                try SharedMemorySegment.open(SharedMemoryReference(name: name, count: 1), takeFile: false)
            }
        }
        #expect(throws: SharedMemoryError.self) {
            try SharedMemorySegment.open(SharedMemoryReference(name: segment.name, count: 8_192), takeFile: false)
        }
        #expect(throws: SharedMemoryError.self) {
            try SharedMemorySegment.open(SharedMemoryReference(name: SharedMemorySegment.ownPrefix + "999-abc", count: 1), takeFile: false)
        }
        // A reference frame is small, and names no more than a frame may hold: checked before anything is read.
        #expect(try SharedMemoryReference(decoding: reference.encoded) == reference)
        #expect(throws: ProtocolError.self) {
            try SharedMemoryReference(decoding: Frame(reference.encoded.bytes + [UInt8](repeating: 0, count: 1 << 20)))
        }
        #expect(throws: ProtocolError.self) {
            try SharedMemoryReference(decoding: SharedMemoryReference(name: segment.name, count: (1 << 30) + 1).encoded)
        }
        #expect(throws: ProtocolError.self) {
            try SharedMemoryReference(decoding: SharedMemoryReference(name: segment.name, count: 4_097).encoded, limit: 4_096)
        }
        // A result naming a segment from a worker that never proved it shares memory is not followed.
        let result = TaskResult(
            task: TaskRef(taskID: 1, attempt: 1), outcome: .succeeded,
            outputs: [NamedFrame(name: "g", frame: reference.encoded, placement: .sharedMemory)])
        #expect(throws: SharedMemoryError.self) { try result.resolvingSharedMemory(prefix: nil) }
        #expect(Self.exists(segment.name))
    }

    @Test("a probe is found under its name by its maker's pid, and not with another nonce or pid")
    func probe() throws {
        let (probe, segment) = try SharedMemoryProbe.make()
        _ = segment
        let me = UInt32(getpid())
        #expect(SharedMemoryProbe(name: probe.name, nonce: probe.nonce.reversed()).verify(madeBy: me) == nil)
        #expect(probe.verify(madeBy: me &+ 1) == nil)
        #expect(SharedMemoryProbe.none.verify(madeBy: me) == nil)
        #expect(probe.verify(madeBy: me) == SharedMemorySegment.ownPrefix)
        #expect(!Self.exists(probe.name), "the coordinator removes the probe it checked")

        // A worker in another pid namespace sharing this /dev/shm (containers with one IPC namespace): its names
        // carry its namespace, and its segments are known by that prefix.
        let foreign = "shoal-4026531999-\(me)-1-abc"
        let nonce = [UInt8](repeating: 7, count: 16)
        #expect(FileManager.default.createFile(
            atPath: SharedMemorySegment.directory + "/" + foreign, contents: Data(nonce),
            attributes: [.posixPermissions: 0o600]))
        #expect(SharedMemoryProbe(name: "shoal-4026531999-\(me &+ 1)-1-abc", nonce: nonce).verify(madeBy: me &+ 1) == nil)
        #expect(SharedMemoryProbe(name: foreign, nonce: nonce).verify(madeBy: me) == "shoal-4026531999-\(me)-")
        #expect(!Self.exists(foreign))
    }

    @Test("segments of a process that died are swept; a live process's stay")
    func orphansAreSwept() throws {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/true")
        try child.run()
        child.waitUntilExit()
        let dead = UInt32(child.processIdentifier)
        let orphan = SharedMemorySegment.prefix(ofProcess: dead) + "1-abc"
        let path = SharedMemorySegment.directory + "/" + orphan
        #expect(FileManager.default.createFile(atPath: path, contents: Data([1, 2, 3])))
        let live = try SharedMemorySegment.create(count: 16)
        SharedMemorySegment.removeOrphans()
        #expect(!Self.exists(orphan), "the dead process's segment is gone")
        #expect(Self.exists(live.name), "this process's segment stays")
    }
}
