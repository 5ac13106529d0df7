import ShoalProtocol
import Testing
import ZeroMQ

/// One message and the exact frames docs/protocol.md says it travels as.
///
/// Every byte array below was worked out by hand from docs/protocol.md sections 2–4 (little-endian integers,
/// u32-length-prefixed UTF-8 strings, u32-count-prefixed lists), never by running the encoder. The comment on
/// each line names the field it encodes.
struct Golden: Sendable, CustomTestStringConvertible {
    var name: String
    var message: ShoalMessage
    var frames: [[UInt8]]

    var testDescription: String { name }

    /// The body frame (frame 1).
    var body: [UInt8] { frames[1] }
}

extension Golden {
    /// At least one golden per message type; several for types with interesting variants.
    static let all: [Golden] = [
        hello, welcome, heartbeat, heartbeatFromCoordinator, bye, task, result, resultCancelled, cancel, ping,
        pong, submit, accepted, status, statusForTask, statusReport, cancelJob, event, error, errorUnknownCode,
        drain, drainWorker, reloadKeys,
    ]

    static let hello = Golden(
        name: "HELLO",
        message: .hello(Hello(
            minVersion: 3, maxVersion: 3, workerID: "w-1", host: "höst", pid: 4242, slots: 4, cores: 8,
            memoryBytes: 16 << 30, software: "shoal 0.1.0", kinds: ["command", "etl"],
            held: [TaskRef(taskID: 0x0102_0304_0506_0708, attempt: 3), TaskRef(taskID: 9, attempt: 0x0100_0000)])),
        frames: [
            [0x53, 0x48, 0x04, 0x01],  // "SH", version 4, type 0x01 HELLO
            [
                0x03,  // min_version = 3
                0x03,  // max_version = 3
                0x03, 0x00, 0x00, 0x00,  // worker_id: length 3
                0x77, 0x2D, 0x31,  // "w-1"
                0x05, 0x00, 0x00, 0x00,  // host: length 5 (ö is 2 bytes)
                0x68, 0xC3, 0xB6, 0x73, 0x74,  // "höst" (ö = U+00F6 = C3 B6)
                0x92, 0x10, 0x00, 0x00,  // pid = 4242 = 0x1092
                0x04, 0x00,  // slots = 4
                0x08, 0x00,  // cores = 8
                0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00,  // memory_bytes = 16 GiB = 0x4_0000_0000
                0x0B, 0x00, 0x00, 0x00,  // software: length 11
                0x73, 0x68, 0x6F, 0x61, 0x6C, 0x20, 0x30, 0x2E, 0x31, 0x2E, 0x30,  // "shoal 0.1.0"
                0x02, 0x00, 0x00, 0x00,  // kinds: count 2
                0x07, 0x00, 0x00, 0x00,  // kinds[0]: length 7
                0x63, 0x6F, 0x6D, 0x6D, 0x61, 0x6E, 0x64,  // "command"
                0x03, 0x00, 0x00, 0x00,  // kinds[1]: length 3
                0x65, 0x74, 0x6C,  // "etl"
                0x02, 0x00, 0x00, 0x00,  // held: count 2
                0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,  // held[0].task_id = 0x0102030405060708
                0x03, 0x00, 0x00, 0x00,  // held[0].attempt = 3
                0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // held[1].task_id = 9
                0x00, 0x00, 0x00, 0x01,  // held[1].attempt = 0x01000000
                0x00, 0x00, 0x00, 0x00,  // shared_memory_probe: "" (no shared memory offered)
                0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // shared_memory_nonce[0..<8]
                0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // shared_memory_nonce[8..<16]
            ],
        ])

    static let welcome = Golden(
        name: "WELCOME",
        message: .welcome(Welcome(
            version: 1, coordinatorID: "coord-α", epoch: 0x0123_4567_89AB_CDEF, heartbeatIntervalMs: 1000,
            heartbeatTimeoutMs: 5000, maxPayloadFrameBytes: 1 << 30, sharedMemory: true)),
        frames: [
            [0x53, 0x48, 0x04, 0x02],  // "SH", version 4, type 0x02 WELCOME
            [
                0x01,  // version = 1
                0x08, 0x00, 0x00, 0x00,  // coordinator_id: length 8
                0x63, 0x6F, 0x6F, 0x72, 0x64, 0x2D, 0xCE, 0xB1,  // "coord-α" (α = U+03B1 = CE B1)
                0xEF, 0xCD, 0xAB, 0x89, 0x67, 0x45, 0x23, 0x01,  // epoch = 0x0123456789ABCDEF
                0xE8, 0x03, 0x00, 0x00,  // heartbeat_interval_ms = 1000 = 0x3E8
                0x88, 0x13, 0x00, 0x00,  // heartbeat_timeout_ms = 5000 = 0x1388
                0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00,  // max_payload_frame_bytes = 1 GiB = 0x40000000
                0x01,  // shared_memory = true
            ],
        ])

    static let heartbeat = Golden(
        name: "HEARTBEAT with progress",
        message: .heartbeat(Heartbeat(freeSlots: 2, progress: [
            TaskProgress(
                task: TaskRef(taskID: 10, attempt: 1), records: 1000, bytes: 65536, status: "map 50%",
                counters: [Counter(name: "rows", value: 1000), Counter(name: "skew", value: -2)]),
            TaskProgress(task: TaskRef(taskID: 11, attempt: 2), records: 0, bytes: 0, status: "", counters: []),
        ])),
        frames: [
            [0x53, 0x48, 0x04, 0x03],  // "SH", version 4, type 0x03 HEARTBEAT
            [
                0x02, 0x00,  // free_slots = 2
                0x02, 0x00, 0x00, 0x00,  // progress: count 2
                0x0A, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // progress[0].task.task_id = 10
                0x01, 0x00, 0x00, 0x00,  // progress[0].task.attempt = 1
                0xE8, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // progress[0].records = 1000
                0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,  // progress[0].bytes = 65536 = 0x10000
                0x07, 0x00, 0x00, 0x00,  // progress[0].status: length 7
                0x6D, 0x61, 0x70, 0x20, 0x35, 0x30, 0x25,  // "map 50%"
                0x02, 0x00, 0x00, 0x00,  // progress[0].counters: count 2
                0x04, 0x00, 0x00, 0x00, 0x72, 0x6F, 0x77, 0x73,  // counters[0].name = "rows"
                0xE8, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // counters[0].value = 1000
                0x04, 0x00, 0x00, 0x00, 0x73, 0x6B, 0x65, 0x77,  // counters[1].name = "skew"
                0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,  // counters[1].value = -2 (i64)
                0x0B, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // progress[1].task.task_id = 11
                0x02, 0x00, 0x00, 0x00,  // progress[1].task.attempt = 2
                0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // progress[1].records = 0
                0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // progress[1].bytes = 0
                0x00, 0x00, 0x00, 0x00,  // progress[1].status: length 0 ("")
                0x00, 0x00, 0x00, 0x00,  // progress[1].counters: count 0
            ],
        ])

    static let heartbeatFromCoordinator = Golden(
        name: "HEARTBEAT from the coordinator",
        message: .heartbeat(Heartbeat(freeSlots: 0, progress: [])),
        frames: [
            [0x53, 0x48, 0x04, 0x03],  // "SH", version 4, type 0x03 HEARTBEAT
            [
                0x00, 0x00,  // free_slots = 0
                0x00, 0x00, 0x00, 0x00,  // progress: count 0
            ],
        ])

    static let bye = Golden(
        name: "BYE",
        message: .bye(Bye(
            reason: "shutdown", returned: [TaskRef(taskID: 5, attempt: 1), TaskRef(taskID: 6, attempt: 2)])),
        frames: [
            [0x53, 0x48, 0x04, 0x04],  // "SH", version 4, type 0x04 BYE
            [
                0x08, 0x00, 0x00, 0x00,  // reason: length 8
                0x73, 0x68, 0x75, 0x74, 0x64, 0x6F, 0x77, 0x6E,  // "shutdown"
                0x02, 0x00, 0x00, 0x00,  // returned: count 2
                0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // returned[0].task_id = 5
                0x01, 0x00, 0x00, 0x00,  // returned[0].attempt = 1
                0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // returned[1].task_id = 6
                0x02, 0x00, 0x00, 0x00,  // returned[1].attempt = 2
            ],
        ])

    static let task = Golden(
        name: "TASK with three assignments, the third repeating the second's spec",
        message: .task(TaskBatch([
            TaskAssignment(
                task: TaskRef(taskID: 100, attempt: 1), jobID: 7, kind: "command", timeoutMs: 60000,
                spec: Frame(#"{"a":1}"#)),
            TaskAssignment(
                task: TaskRef(taskID: 101, attempt: 2), jobID: 7, kind: "etl", timeoutMs: 0,
                spec: Frame([0x00, 0xFF, 0x10]), attachments: [Frame([0xAA, 0xBB])]),
            TaskAssignment(
                task: TaskRef(taskID: 102, attempt: 1), jobID: 7, kind: "etl", timeoutMs: 0,
                spec: Frame([0x00, 0xFF, 0x10])),
        ])),
        frames: [
            [0x53, 0x48, 0x04, 0x10],  // "SH", version 4, type 0x10 TASK
            [
                0x03, 0x00, 0x00, 0x00,  // assignments: count 3
                0x64, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // [0].task.task_id = 100
                0x01, 0x00, 0x00, 0x00,  // [0].task.attempt = 1
                0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // [0].job_id = 7
                0x07, 0x00, 0x00, 0x00,  // [0].kind: length 7
                0x63, 0x6F, 0x6D, 0x6D, 0x61, 0x6E, 0x64,  // "command"
                0x60, 0xEA, 0x00, 0x00,  // [0].timeout_ms = 60000 = 0xEA60
                0x07, 0x00, 0x00, 0x00,  // [0].spec_length = 7
                0x00, 0x00, 0x00, 0x00,  // [0].attachments: count 0
                0x65, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // [1].task.task_id = 101
                0x02, 0x00, 0x00, 0x00,  // [1].task.attempt = 2
                0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // [1].job_id = 7
                0x03, 0x00, 0x00, 0x00,  // [1].kind: length 3
                0x65, 0x74, 0x6C,  // "etl"
                0x00, 0x00, 0x00, 0x00,  // [1].timeout_ms = 0 (none)
                0x03, 0x00, 0x00, 0x00,  // [1].spec_length = 3
                0x01, 0x00, 0x00, 0x00,  // [1].attachments: count 1
                0x00,  // [1].attachments[0].placement = 0 inline
                0x66, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // [2].task.task_id = 102
                0x01, 0x00, 0x00, 0x00,  // [2].task.attempt = 1
                0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // [2].job_id = 7
                0x03, 0x00, 0x00, 0x00,  // [2].kind: length 3
                0x65, 0x74, 0x6C,  // "etl"
                0x00, 0x00, 0x00, 0x00,  // [2].timeout_ms = 0 (none)
                0xFF, 0xFF, 0xFF, 0xFF,  // [2].spec_length = 0xFFFFFFFF: the spec of [1]
                0x00, 0x00, 0x00, 0x00,  // [2].attachments: count 0
            ],
            // payload 0: the specs, {"a":1} then [1]'s raw bytes
            [0x7B, 0x22, 0x61, 0x22, 0x3A, 0x31, 0x7D, 0x00, 0xFF, 0x10],
            [0xAA, 0xBB],  // payload 1: assignment 1's attachment
        ])

    static let result = Golden(
        name: "RESULT of two attempts, the first with two outputs",
        message: .result(ResultBatch([
            TaskResult(
                task: TaskRef(taskID: 100, attempt: 1), outcome: .failed, exitStatus: -1, signal: 15, error: "bad €",
                logTail: "line1\nline2",
                counters: [Counter(name: "records", value: 42), Counter(name: "delta", value: .min)],
                outputs: [NamedFrame(name: "grad", frame: Frame(floats: [1.0])), NamedFrame(name: "rows", frame: Frame([]))]),
            TaskResult(task: TaskRef(taskID: 101, attempt: 2), outcome: .succeeded, exitStatus: 0,
                       outputs: [NamedFrame(name: "out", frame: Frame([0xAB]))]),
        ])),
        frames: [
            [0x53, 0x48, 0x04, 0x11],  // "SH", version 4, type 0x11 RESULT
            [
                0x02, 0x00, 0x00, 0x00,  // results: count 2
                0x64, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // results[0].task.task_id = 100
                0x01, 0x00, 0x00, 0x00,  // results[0].task.attempt = 1
                0x01,  // outcome = 1 failed
                0xFF, 0xFF, 0xFF, 0xFF,  // exit_status = -1 (i32)
                0x0F, 0x00, 0x00, 0x00,  // signal = 15
                0x07, 0x00, 0x00, 0x00,  // error: length 7 (€ is 3 bytes)
                0x62, 0x61, 0x64, 0x20, 0xE2, 0x82, 0xAC,  // "bad €" (€ = U+20AC = E2 82 AC)
                0x0B, 0x00, 0x00, 0x00,  // log_tail: length 11
                0x6C, 0x69, 0x6E, 0x65, 0x31, 0x0A, 0x6C, 0x69, 0x6E, 0x65, 0x32,  // "line1\nline2"
                0x02, 0x00, 0x00, 0x00,  // counters: count 2
                0x07, 0x00, 0x00, 0x00,  // counters[0].name: length 7
                0x72, 0x65, 0x63, 0x6F, 0x72, 0x64, 0x73,  // "records"
                0x2A, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // counters[0].value = 42
                0x05, 0x00, 0x00, 0x00,  // counters[1].name: length 5
                0x64, 0x65, 0x6C, 0x74, 0x61,  // "delta"
                0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80,  // counters[1].value = Int64.min
                0x02, 0x00, 0x00, 0x00,  // outputs: count 2
                0x04, 0x00, 0x00, 0x00, 0x67, 0x72, 0x61, 0x64,  // outputs[0].name = "grad"
                0x00,  // outputs[0].placement = 0 inline
                0x04, 0x00, 0x00, 0x00, 0x72, 0x6F, 0x77, 0x73,  // outputs[1].name = "rows"
                0x00,  // outputs[1].placement = 0 inline
                0x65, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // results[1].task.task_id = 101
                0x02, 0x00, 0x00, 0x00,  // results[1].task.attempt = 2
                0x00,  // outcome = 0 succeeded
                0x00, 0x00, 0x00, 0x00,  // exit_status = 0
                0x00, 0x00, 0x00, 0x00,  // signal = 0
                0x00, 0x00, 0x00, 0x00,  // error: ""
                0x00, 0x00, 0x00, 0x00,  // log_tail: ""
                0x00, 0x00, 0x00, 0x00,  // counters: count 0
                0x01, 0x00, 0x00, 0x00,  // outputs: count 1
                0x03, 0x00, 0x00, 0x00, 0x6F, 0x75, 0x74,  // outputs[0].name = "out"
                0x00,  // outputs[0].placement = 0 inline
            ],
            [0x00, 0x00, 0x80, 0x3F],  // payload: results[0] "grad", one binary32 1.0, little-endian
            [],  // payload: results[0] "rows", empty frame
            [0xAB],  // payload: results[1] "out"
        ])

    static let resultCancelled = Golden(
        name: "RESULT of one cancelled attempt, no lists",
        message: .result(ResultBatch([TaskResult(
            task: TaskRef(taskID: 1, attempt: 0xFFFF_FFFF), outcome: .cancelled, exitStatus: .min, signal: 0)])),
        frames: [
            [0x53, 0x48, 0x04, 0x11],  // "SH", version 4, type 0x11 RESULT
            [
                0x01, 0x00, 0x00, 0x00,  // results: count 1
                0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // task.task_id = 1
                0xFF, 0xFF, 0xFF, 0xFF,  // task.attempt = 0xFFFFFFFF
                0x02,  // outcome = 2 cancelled
                0x00, 0x00, 0x00, 0x80,  // exit_status = Int32.min
                0x00, 0x00, 0x00, 0x00,  // signal = 0
                0x00, 0x00, 0x00, 0x00,  // error: ""
                0x00, 0x00, 0x00, 0x00,  // log_tail: ""
                0x00, 0x00, 0x00, 0x00,  // counters: count 0
                0x00, 0x00, 0x00, 0x00,  // outputs: count 0 (so no payload frames)
            ],
        ])

    static let cancel = Golden(
        name: "CANCEL",
        message: .cancel(CancelTasks(
            tasks: [TaskRef(taskID: 100, attempt: 1), TaskRef(taskID: 101, attempt: 2)], reason: "job cancelled")),
        frames: [
            [0x53, 0x48, 0x04, 0x12],  // "SH", version 4, type 0x12 CANCEL
            [
                0x02, 0x00, 0x00, 0x00,  // tasks: count 2
                0x64, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // tasks[0].task_id = 100
                0x01, 0x00, 0x00, 0x00,  // tasks[0].attempt = 1
                0x65, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // tasks[1].task_id = 101
                0x02, 0x00, 0x00, 0x00,  // tasks[1].attempt = 2
                0x0D, 0x00, 0x00, 0x00,  // reason: length 13
                0x6A, 0x6F, 0x62, 0x20, 0x63, 0x61, 0x6E, 0x63, 0x65, 0x6C, 0x6C, 0x65, 0x64,  // "job cancelled"
            ],
        ])

    /// docs/protocol.md section 4.2, verbatim.
    static let ping = Golden(
        name: "PING (section 4.2 worked example)",
        message: .ping(Ping(nonce: 7, minVersion: 1, maxVersion: 1, sender: "doctor")),
        frames: [
            [0x53, 0x48, 0x04, 0x20],  // frame 0 (4 bytes): 53 48 04 20
            [
                0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // nonce = 7
                0x01, 0x01,  // min_version = 1, max_version = 1
                0x06, 0x00, 0x00, 0x00, 0x64, 0x6F, 0x63, 0x74, 0x6F, 0x72,  // sender = "doctor"
            ],
        ])

    static let pong = Golden(
        name: "PONG",
        message: .pong(Pong(nonce: 7, version: 1, minVersion: 1, maxVersion: 1, role: "coordinator",
                            software: "shoal 0.1.0")),
        frames: [
            [0x53, 0x48, 0x04, 0x21],  // "SH", version 4, type 0x21 PONG
            [
                0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // nonce = 7 (echoed)
                0x01,  // version = 1 (chosen)
                0x01,  // min_version = 1
                0x01,  // max_version = 1
                0x0B, 0x00, 0x00, 0x00,  // role: length 11
                0x63, 0x6F, 0x6F, 0x72, 0x64, 0x69, 0x6E, 0x61, 0x74, 0x6F, 0x72,  // "coordinator"
                0x0B, 0x00, 0x00, 0x00,  // software: length 11
                0x73, 0x68, 0x6F, 0x61, 0x6C, 0x20, 0x30, 0x2E, 0x31, 0x2E, 0x30,  // "shoal 0.1.0"
            ],
        ])

    static let submit = Golden(
        name: "SUBMIT",
        message: .submit(SubmitJob(
            requestID: 42, restart: true, format: .json, sourceName: "jobs/日本.json", workingDirectory: "/srv",
            spec: Frame("{}"))),
        frames: [
            [0x53, 0x48, 0x04, 0x30],  // "SH", version 4, type 0x30 SUBMIT
            [
                0x2A, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // request_id = 42
                0x01,  // restart = true
                0x02,  // format = 2 JSON
                0x10, 0x00, 0x00, 0x00,  // source_name: length 16
                0x6A, 0x6F, 0x62, 0x73, 0x2F,  // "jobs/"
                0xE6, 0x97, 0xA5,  // "日" U+65E5
                0xE6, 0x9C, 0xAC,  // "本" U+672C
                0x2E, 0x6A, 0x73, 0x6F, 0x6E,  // ".json"
                0x04, 0x00, 0x00, 0x00,  // working_directory: length 4
                0x2F, 0x73, 0x72, 0x76,  // "/srv"
            ],
            [0x7B, 0x7D],  // payload 0: the job file, "{}"
        ])

    static let accepted = Golden(
        name: "ACCEPTED",
        message: .accepted(JobAccepted(requestID: 42, jobID: 1234, resumed: true)),
        frames: [
            [0x53, 0x48, 0x04, 0x31],  // "SH", version 4, type 0x31 ACCEPTED
            [
                0x2A, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // request_id = 42
                0xD2, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // job_id = 1234 = 0x4D2
                0x01,  // resumed = true
            ],
        ])

    static let status = Golden(
        name: "STATUS",
        message: .status(StatusRequest(requestID: 43, jobID: 0)),
        frames: [
            [0x53, 0x48, 0x04, 0x32],  // "SH", version 4, type 0x32 STATUS
            [
                0x2B, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // request_id = 43
                0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // job_id = 0 (every job and the cluster)
                0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // task_id = 0 (no task detail)
            ],
        ])

    static let statusForTask = Golden(
        name: "STATUS of one task",
        message: .status(StatusRequest(requestID: 1, jobID: 2, taskID: 0x0102)),
        frames: [
            [0x53, 0x48, 0x04, 0x32],  // "SH", version 4, type 0x32 STATUS
            [
                0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // request_id = 1
                0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // job_id = 2
                0x02, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // task_id = 0x0102
            ],
        ])

    static let drain = Golden(
        name: "DRAIN",
        message: .drain(Drain(reason: "SIGTERM")),
        frames: [
            [0x53, 0x48, 0x04, 0x05],  // "SH", version 4, type 0x05 DRAIN
            [
                0x07, 0x00, 0x00, 0x00,  // reason: length 7
                0x53, 0x49, 0x47, 0x54, 0x45, 0x52, 0x4D,  // "SIGTERM"
            ],
        ])

    static let drainWorker = Golden(
        name: "DRAIN-WORKER",
        message: .drainWorker(DrainWorker(requestID: 5, workerID: "w-2")),
        frames: [
            [0x53, 0x48, 0x04, 0x35],  // "SH", version 4, type 0x35 DRAIN-WORKER
            [
                0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // request_id = 5
                0x03, 0x00, 0x00, 0x00,  // worker_id: length 3
                0x77, 0x2D, 0x32,  // "w-2"
            ],
        ])

    static let reloadKeys = Golden(
        name: "RELOAD-KEYS",
        message: .reloadKeys(ReloadKeys(requestID: 6)),
        frames: [
            [0x53, 0x48, 0x04, 0x36],  // "SH", version 4, type 0x36 RELOAD-KEYS
            [0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00],  // request_id = 6
        ])

    static let statusReport = Golden(
        name: "STATUS-REPORT",
        message: .statusReport(StatusReport(requestID: 43, document: Frame(#"{"jobs":[]}"#))),
        frames: [
            [0x53, 0x48, 0x04, 0x33],  // "SH", version 4, type 0x33 STATUS-REPORT
            [
                0x2B, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // request_id = 43
            ],
            [0x7B, 0x22, 0x6A, 0x6F, 0x62, 0x73, 0x22, 0x3A, 0x5B, 0x5D, 0x7D],  // payload 0: {"jobs":[]}
        ])

    static let cancelJob = Golden(
        name: "CANCEL-JOB",
        message: .cancelJob(CancelJob(requestID: 44, jobID: 1234, reason: "user")),
        frames: [
            [0x53, 0x48, 0x04, 0x34],  // "SH", version 4, type 0x34 CANCEL-JOB
            [
                0x2C, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // request_id = 44
                0xD2, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // job_id = 1234
                0x04, 0x00, 0x00, 0x00, 0x75, 0x73, 0x65, 0x72,  // reason = "user"
            ],
        ])

    /// The EVENT message itself; on the events endpoint `eventTopic` comes first.
    static let event = Golden(
        name: "EVENT",
        message: .event(ClusterEvent(sequence: 258, timeMs: 1_700_000_000_000, kind: "job", document: Frame(#"{"s":1}"#))),
        frames: [
            [0x53, 0x48, 0x04, 0x40],  // "SH", version 4, type 0x40 EVENT
            [
                0x02, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // sequence = 258 = 0x102
                0x00, 0x68, 0xE5, 0xCF, 0x8B, 0x01, 0x00, 0x00,  // time_ms = 1_700_000_000_000 = 0x18B_CFE5_6800
                0x03, 0x00, 0x00, 0x00, 0x6A, 0x6F, 0x62,  // kind = "job"
            ],
            [0x7B, 0x22, 0x73, 0x22, 0x3A, 0x31, 0x7D],  // payload 0: the document, {"s":1}
        ])

    /// The topic frame that precedes `event` on the PUB socket: "job.1234".
    static let eventTopic: [UInt8] = [0x6A, 0x6F, 0x62, 0x2E, 0x31, 0x32, 0x33, 0x34]

    static let error = Golden(
        name: "ERROR",
        message: .error(ErrorReply(
            code: .unsupportedVersion, inReplyTo: 0x01, requestID: 0, message: "use version 1", minVersion: 1,
            maxVersion: 1)),
        frames: [
            [0x53, 0x48, 0x04, 0x7F],  // "SH", version 4, type 0x7F ERROR
            [
                0x02, 0x00,  // code = 2 unsupported-version
                0x01,  // in_reply_to = 0x01 HELLO
                0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // request_id = 0
                0x0D, 0x00, 0x00, 0x00,  // message: length 13
                0x75, 0x73, 0x65, 0x20, 0x76, 0x65, 0x72, 0x73, 0x69, 0x6F, 0x6E, 0x20, 0x31,  // "use version 1"
                0x01,  // min_version = 1
                0x01,  // max_version = 1
            ],
        ])

    /// Section 6: "A receiver MUST treat an unknown code as a failure": so an unknown code decodes, it is not
    /// malformed.
    static let errorUnknownCode = Golden(
        name: "ERROR with an unknown code",
        message: .error(ErrorReply(
            code: .other(0x1234), inReplyTo: 0x30, requestID: 42, message: "", minVersion: 1, maxVersion: 3)),
        frames: [
            [0x53, 0x48, 0x04, 0x7F],  // "SH", version 4, type 0x7F ERROR
            [
                0x34, 0x12,  // code = 0x1234 (not defined)
                0x30,  // in_reply_to = 0x30 SUBMIT
                0x2A, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // request_id = 42
                0x00, 0x00, 0x00, 0x00,  // message: ""
                0x01,  // min_version = 1
                0x03,  // max_version = 3
            ],
        ])
}
