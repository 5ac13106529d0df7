import Foundation
import ShoalCore
import ShoalTestSupport
import Testing

/// `CommandJobPlanner` over real files: globbing, shards, specs, and located errors.
@Suite struct CommandJobPlannerTests {
    let directory: TemporaryDirectory

    init() throws {
        directory = try TemporaryDirectory()
        let files = [
            "Sources/top.swift": "top\n", "Sources/A/a.swift": "1\n2\n", "Sources/A/B/b.swift": "b\n",
            "Sources/.hidden/h.swift": "", "Sources/notes.txt": "", "data/x.csv": "a,b\n", "data/deep/y.csv": "",
        ]
        for (path, contents) in files {
            let url = directory.url.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try contents.write(to: url, atomically: true, encoding: .utf8)
        }
    }

    private func planned(_ yaml: String) throws -> JobPlan {
        try plan(yaml, workingDirectory: directory.path).1
    }

    private func specs(_ plan: JobPlan) throws -> [CommandTaskSpec] {
        try plan.tasks.map { try CommandTaskSpec(jsonBytes: $0.spec) }
    }

    @Test func oneTaskPerMatchingFileSortedWithGlobStar() throws {
        let plan = try planned(
            """
            kind: command
            name: line-counts
            command: ["wc", "-l"]
            inputs: ["Sources/**/*.swift"]
            """)
        #expect(plan.tasks.map(\.label) == ["Sources/A/B/b.swift", "Sources/A/a.swift", "Sources/top.swift"])
        #expect(plan.tasks.map(\.index) == [0, 1, 2])
        #expect(plan.tasks.map(\.inputBytes) == [2, 4, 4])
        #expect(plan.outputDirectory == nil)
        let specs = try specs(plan)
        #expect(specs.map(\.input) == plan.tasks.map { directory.path + "/" + $0.label })
        #expect(specs.allSatisfy { $0.arguments == ["wc", "-l"] && $0.shardCount == 3 && $0.jobName == "line-counts" })
        #expect(specs.allSatisfy { $0.workingDirectory == directory.path && $0.standardOutput == .output })
        #expect(specs.map(\.shardIndex) == [0, 1, 2])
    }

    @Test func patternsAreUnitedWithoutDuplicates() throws {
        let plan = try planned(
            """
            kind: command
            name: j
            command: cat
            inputs:
              - Sources/*.swift
              - ./Sources/A/../top.swift
              - data/**
              - Sources/.hidden/*.swift
            """)
        #expect(
            plan.tasks.map(\.label) == [
                "Sources/.hidden/h.swift", "Sources/top.swift", "data/deep/y.csv", "data/x.csv",
            ])
    }

    @Test func aSinglePatternAndAnAbsolutePatternWork() throws {
        let plan = try planned("kind: command\nname: j\ncommand: cat\ninputs: \(directory.path)/data/*.csv\n")
        #expect(plan.tasks.map(\.label) == ["data/x.csv"])
    }

    @Test func shardsWithoutInput() throws {
        let plan = try planned(
            """
            kind: command
            name: gen
            command: echo {shard} of {shards}
            shards: 3
            env: { LC_ALL: C, PORT: 8080 }
            output: out/../results
            stdout: discard
            """)
        #expect(plan.tasks.map(\.label) == ["shard 0", "shard 1", "shard 2"])
        #expect(plan.tasks.allSatisfy { $0.inputBytes == 0 })
        #expect(plan.outputDirectory == directory.path + "/results")
        let spec = try #require(try specs(plan).last)
        #expect(spec.input == nil)
        #expect(spec.arguments == ["/bin/sh", "-c", "echo {shard} of {shards}"])
        #expect(spec.environment == ["LC_ALL": "C", "PORT": "8080"])
        #expect(spec.standardOutput == .discard)
        #expect(spec.shardIndex == 2 && spec.shardCount == 3)
    }

    @Test func placeholdersAreSubstitutedInOnePass() {
        let spec = CommandTaskSpec(
            arguments: ["tool", "--in={input}", "{shard}/{shards}", "{output_dir}/part-{attempt}", "{print $1}", "{x}{"],
            workingDirectory: "/w", input: "/w/{shard}.txt", shardIndex: 4, shardCount: 9, jobName: "j")
        #expect(
            spec.resolvedArguments(outputDirectory: "/scratch/out", attempt: 2) == [
                "tool", "--in=/w/{shard}.txt", "4/9", "/scratch/out/part-2", "{print $1}", "{x}{",
            ])
    }

    @Test func theProcessEnvironmentDescribesTheAttempt() {
        let spec = CommandTaskSpec(
            arguments: ["x"], environment: ["LC_ALL": "C", "HOME": "/job"], workingDirectory: "/w", input: nil,
            shardIndex: 1, shardCount: 2, jobName: "j")
        let environment = spec.processEnvironment(
            inheriting: ["HOME": "/root", "PATH": "/bin"], taskID: 77, attempt: 3, outputDirectory: "/o")
        #expect(
            environment == [
                "HOME": "/job", "PATH": "/bin", "PWD": "/w", "LC_ALL": "C", "SHOAL_JOB_NAME": "j", "SHOAL_SHARD_INDEX": "1",
                "SHOAL_SHARD_COUNT": "2", "SHOAL_INPUT": "", "SHOAL_OUTPUT_DIR": "/o", "SHOAL_TASK_ID": "77",
                "SHOAL_ATTEMPT": "3",
            ])
    }

    @Test func specsRoundTripThroughJSON() throws {
        let spec = CommandTaskSpec(
            arguments: ["a b", "ü"], environment: ["K": "v"], workingDirectory: "/w", input: "/w/i", shardIndex: 0,
            shardCount: 1, jobName: "j", standardOutput: .discard)
        #expect(try CommandTaskSpec(jsonBytes: spec.jsonBytes()) == spec)
        let text = String(decoding: spec.jsonBytes(), as: UTF8.self)
        #expect(text.contains(#""stdout":"discard""#) && text.contains(#""working_directory":"/w""#))
    }

    @Test func exactlyOneOfInputsAndShards() {
        expectError(
            planningError("kind: command\nname: j\ncommand: cat\n", workingDirectory: directory.path), at: 1, 1,
            keyPath: "inputs", saying: "missing: give inputs")
        expectError(
            planningError("kind: command\nname: j\ncommand: cat\ninputs: data/*\nshards: 2\n", workingDirectory: directory.path),
            at: 5, 9, keyPath: "shards", saying: "either inputs or shards, not both")
        expectError(
            planningError("kind: command\nname: j\ncommand: cat\nshards: 0\n"), at: 4, 9, keyPath: "shards",
            saying: "must be between 1 and 1000000, got 0")
    }

    @Test func aPatternMatchingNothingIsNamedWithTheDirectory() {
        let error = planningError(
            "kind: command\nname: j\ncommand: cat\ninputs:\n  - data/*.csv\n  - logs/*.log\n",
            workingDirectory: directory.path)
        expectError(
            error, at: 6, 5, keyPath: "inputs[1]",
            saying: "'logs/*.log' matches no regular file in \(directory.path)")
        expectError(
            planningError("kind: command\nname: j\ncommand: cat\ninputs: Sources/*.rs\n", workingDirectory: directory.path),
            at: 4, 9, keyPath: "inputs", saying: "'Sources/*.rs' matches no regular file")
        expectError(
            planningError("kind: command\nname: j\ncommand: cat\ninputs: []\n"), at: 4, 9, keyPath: "inputs",
            saying: "the list is empty")
    }

    @Test func theCommandMustNameAProgram() {
        expectError(
            planningError("kind: command\nname: j\nshards: 1\n"), at: 1, 1, keyPath: "command", saying: "missing required key")
        expectError(
            planningError("kind: command\nname: j\ncommand: []\nshards: 1\n"), at: 3, 10, keyPath: "command",
            saying: "the list is empty")
        expectError(
            planningError("kind: command\nname: j\ncommand: '  '\nshards: 1\n"), at: 3, 10, keyPath: "command",
            saying: "the command is empty")
        expectError(
            planningError("kind: command\nname: j\ncommand: ['', x]\nshards: 1\n"), at: 3, 11, keyPath: "command[0]",
            saying: "the program name is empty")
        expectError(
            planningError("kind: command\nname: j\ncommand: {run: x}\nshards: 1\n"), at: 3, 10, keyPath: "command",
            saying: "expected a string or a list of strings, got a mapping")
        expectError(
            planningError("kind: command\nname: j\ncommand: [wc, [l]]\nshards: 1\n"), at: 3, 15, keyPath: "command[1]",
            saying: "expected a string, got a list")
    }

    @Test func environmentStdoutAndUnknownKeysAreChecked() {
        expectError(
            planningError("kind: command\nname: j\ncommand: x\nshards: 1\nenv:\n  SHOAL_INPUT: y\n"), at: 6, 16,
            keyPath: "env.SHOAL_INPUT", saying: "SHOAL_ variables are set by Shoal")
        expectError(
            planningError("kind: command\nname: j\ncommand: x\nshards: 1\nenv: {A=B: y}\n"), at: 5, 12, keyPath: "env.A=B",
            saying: "not a valid environment variable name")
        expectError(
            planningError("kind: command\nname: j\ncommand: x\nshards: 1\nenv: [A]\n"), at: 5, 6, keyPath: "env",
            saying: "expected a mapping")
        expectError(
            planningError("kind: command\nname: j\ncommand: x\nshards: 1\nstdout: file\n"), at: 5, 9, keyPath: "stdout",
            saying: "expected 'output' or 'discard', got 'file'")
        expectError(
            planningError("kind: command\nname: j\ncommand: x\ninput: a\n"), at: 4, 1, keyPath: "input",
            saying: "unknown key; did you mean 'inputs'?")
    }
}

/// The example job of cluster/jobs plans against the project's own sources, as it would from a fresh clone.
@Suite struct ExampleJobTests {
    @Test func lineCountsPlansOneTaskPerSwiftSource() throws {
        let projectRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        let text = try String(contentsOfFile: projectRoot + "/cluster/jobs/line-counts.yaml", encoding: .utf8)
        let (job, planned) = try plan(text, workingDirectory: projectRoot)
        #expect(job.name == "line-counts" && job.timeout == .seconds(30))
        #expect(planned.outputDirectory == projectRoot + "/out/line-counts")
        #expect(planned.tasks.contains { $0.label == "Sources/ShoalCore/Kinds/CommandJobPlanner.swift" })
        #expect(planned.tasks.allSatisfy { $0.label.hasPrefix("Sources/") && $0.label.hasSuffix(".swift") && $0.inputBytes > 0 })
        #expect(planned.tasks.map(\.label) == planned.tasks.map(\.label).sorted())
    }
}
