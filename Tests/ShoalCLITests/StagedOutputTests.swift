import Foundation
import ShoalCoordinator
import ShoalCore
import ShoalETL
import ShoalProtocol
import ShoalTestSupport
import Testing
import ZeroMQ

@testable import ShoalWorker

/// Outputs a worker writes into the staging area itself (`StagedOutputs`): the worker's side, which stages only
/// where the coordinator's probe is, and the committer's, which checks the files and renames them into place
/// exactly once. Whole jobs both ways run in ETLJobTests.
@Suite struct StagedOutputTests {
    let files: [(name: String, bytes: [UInt8])] = [
        ("part-00000.csv", Array("a,b\n1,2\n".utf8)), ("aggregate.bin", [0, 1, 2, 255]), ("shard.json", Array("{}".utf8)),
    ]

    /// A fresh output directory with its probe placed, as the coordinator leaves it at submit.
    private func probedOutput(in directory: TemporaryDirectory) -> OutputStaging {
        let staging = OutputStaging(directory: directory.path("out"), probe: "probe-\(UUID().uuidString)")
        OutputPaths.placeProbe(staging.probe, in: staging.directory)
        return staging
    }

    @Test func theListRoundTripsAndRefusesWhatIsNotOne() throws {
        let list = StagedOutputs(files: [("part-00000.csv", 12), ("sub dir/a b.csv", 0)])
        #expect(try StagedOutputs(list.bytes) == list)
        #expect(throws: StagedOutputsError.self) { try StagedOutputs(Array("12\n".utf8)) }
        #expect(throws: StagedOutputsError.self) { try StagedOutputs(Array("twelve part.csv\n".utf8)) }
        #expect(throws: StagedOutputsError.self) { try StagedOutputs(Array("-1 part.csv\n".utf8)) }
    }

    @Test func aWorkerStagesOnlyWhereItFindsTheProbe() throws {
        let directory = try TemporaryDirectory()
        let output = directory.path("out")
        let staging = OutputStaging(directory: output, probe: "probe-\(UUID().uuidString)")
        let task = TaskRef(taskID: 7, attempt: 2)
        // No probe (another host, or a container with its own view of the path): nothing written, send them.
        #expect(ETLExecutor.stage(files, task: task, in: staging) == nil)
        #expect(!FileManager.default.fileExists(atPath: OutputPaths.attempt(output, taskID: 7, attempt: 2)))
        OutputPaths.placeProbe(staging.probe, in: output)
        let list = try #require(ETLExecutor.stage(files, task: task, in: staging))
        #expect(list == StagedOutputs(files: files.map { ($0.name, $0.bytes.count) }))
        for file in files {
            let path = (OutputPaths.attempt(output, taskID: 7, attempt: 2) as NSString).appendingPathComponent(file.name)
            #expect(FileManager.default.contents(atPath: path) == Data(file.bytes))
        }
        // A name that would leave the attempt's directory is not written: the files go in the RESULT instead.
        #expect(ETLExecutor.stage([("../escape", [1])], task: TaskRef(taskID: 8, attempt: 1), in: staging) == nil)
        #expect(!FileManager.default.fileExists(atPath: OutputPaths.staging(output) + "/escape"))
        #expect(!FileManager.default.fileExists(atPath: OutputPaths.attempt(output, taskID: 8, attempt: 1)))
    }

    /// The record of the attempt that commits a shard is beside it once the shard is in place; a later copy,
    /// discarded, leaves it as it was.
    @Test func aCommitLeavesItsAttemptsRecordAndALosingCopyDoesNot() throws {
        let directory = try TemporaryDirectory()
        let output = directory.path("out")
        let committer = OutputCommitter()
        let first = TaskRef(taskID: 9, attempt: 1)
        let record = CommitRecord(
            task: first, worker: "w1", runtime: .milliseconds(1_500), logTail: "done",
            counters: [Counter(name: "rows", value: 7), Counter(name: "bad", value: 1)])
        #expect(try committer.commit([NamedFrame(name: "a.txt", frame: Frame("a"))], index: 2, attempt: first,
                                     outputDirectory: output, record: record) == .committed(path: OutputPaths.shard(output, index: 2)))
        #expect(CommitRecord.read(output, index: 2) == record)
        let ended = try #require(CommitRecord.read(output, index: 2)).attemptRecord(job: 3)
        #expect(ended == AttemptRecord(task: first, job: 3, worker: "w1", ending: .succeeded, exitStatus: 0,
                                       logTail: "done", runtime: .milliseconds(1_500), counters: record.attemptRecord(job: 3).counters))
        #expect(ended.counters == [Counter(name: "rows", value: 7), Counter(name: "bad", value: 1)])
        let second = TaskRef(taskID: 9, attempt: 2)
        let loser = CommitRecord(task: second, worker: "w2", runtime: .zero, logTail: "", counters: [])
        #expect(try committer.commit([NamedFrame(name: "a.txt", frame: Frame("b"))], index: 2, attempt: second,
                                     outputDirectory: output, record: loser) == .alreadyCommitted(path: OutputPaths.shard(output, index: 2)))
        #expect(CommitRecord.read(output, index: 2) == record, "the shard's own attempt stays on record")
        #expect(CommitRecord.read(output, index: 3) == nil)
    }

    @Test func stagedFilesAreCommittedOnceWithTheFramesBesideThem() throws {
        let directory = try TemporaryDirectory()
        let staging = probedOutput(in: directory)
        let output = staging.directory
        let first = TaskRef(taskID: 4, attempt: 1)
        let list = try #require(ETLExecutor.stage(files, task: first, in: staging))
        let outputs = [
            NamedFrame(name: StagedOutputs.name, frame: Frame(list.bytes)), NamedFrame(name: "extra.txt", frame: Frame("x")),
        ]
        let committer = OutputCommitter()
        let outcome = try committer.commit(outputs, index: 3, attempt: first, outputDirectory: output)
        let shard = OutputPaths.shard(output, index: 3)
        #expect(outcome == .committed(path: shard))
        for file in files { #expect(FileManager.default.contents(atPath: shard + "/" + file.name) == Data(file.bytes)) }
        #expect(FileManager.default.contents(atPath: shard + "/extra.txt") == Data("x".utf8))
        #expect(!FileManager.default.fileExists(atPath: OutputPaths.attempt(output, taskID: 4, attempt: 1)))

        // A speculative copy staged too: it is discarded, its files with it, and the first one stands.
        let second = TaskRef(taskID: 4, attempt: 2)
        let copy = try #require(ETLExecutor.stage([("part-00000.csv", Array("other\n".utf8))], task: second, in: staging))
        let again = try committer.commit(
            [NamedFrame(name: StagedOutputs.name, frame: Frame(copy.bytes))], index: 3, attempt: second,
            outputDirectory: output)
        #expect(again == .alreadyCommitted(path: shard))
        #expect(!FileManager.default.fileExists(atPath: OutputPaths.attempt(output, taskID: 4, attempt: 2)))
        #expect(FileManager.default.contents(atPath: shard + "/part-00000.csv") == Data(files[0].bytes))
    }

    @Test func aStagedFileMissingOrOfAnotherSizeFailsTheCommitNamingIt() throws {
        let directory = try TemporaryDirectory()
        let staging = probedOutput(in: directory)
        let output = staging.directory
        let task = TaskRef(taskID: 9, attempt: 1)
        let list = try #require(ETLExecutor.stage(files, task: task, in: staging))
        let attempt = OutputPaths.attempt(output, taskID: 9, attempt: 1)
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: attempt + "/aggregate.bin"))
        let committer = OutputCommitter()
        let frames = [NamedFrame(name: StagedOutputs.name, frame: Frame(list.bytes))]
        #expect {
            try committer.commit(frames, index: 0, attempt: task, outputDirectory: output)
        } throws: { error in
            "\(error)".contains("aggregate.bin") && "\(error)".contains("3 bytes, not 4")
        }
        #expect(!FileManager.default.fileExists(atPath: OutputPaths.shard(output, index: 0)), "nothing committed")

        let retry = TaskRef(taskID: 9, attempt: 2)
        let staged = try #require(ETLExecutor.stage(files, task: retry, in: staging))
        try FileManager.default.removeItem(atPath: OutputPaths.attempt(output, taskID: 9, attempt: 2) + "/shard.json")
        #expect {
            try committer.commit(
                [NamedFrame(name: StagedOutputs.name, frame: Frame(staged.bytes))], index: 0, attempt: retry,
                outputDirectory: output)
        } throws: { error in
            "\(error)".contains("shard.json") && "\(error)".contains("missing")
        }
        #expect(!FileManager.default.fileExists(atPath: OutputPaths.shard(output, index: 0)), "nothing committed")
    }
}
