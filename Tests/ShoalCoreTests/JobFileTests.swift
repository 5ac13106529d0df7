import ShoalCore
import Testing

/// `JobFile.parse`: the common keys, their defaults, and a located error for every kind of mistake.
@Suite struct JobFileTests {
    @Test func commonKeysDefaultFromSettings() throws {
        var settings = Settings()
        settings.maxAttempts = 7
        settings.hangTimeout = .seconds(42)
        let (job, _) = try plan("kind: noop\nname: tiny\ntasks: 1\n", settings: settings)
        #expect(job.kind == "noop")
        #expect(job.name == "tiny")
        #expect(job.source == "job.yaml")
        #expect(job.workingDirectory == "/tmp")
        #expect(job.priority == 0)
        #expect(job.maxAttempts == 7)
        #expect(job.timeout == nil)
        #expect(job.hangTimeout == .seconds(42))
        #expect(job.speculation)
    }

    @Test func commonKeysAsWritten() throws {
        let (job, _) = try plan(
            """
            kind: noop
            name: 2024          # any scalar reads as its text
            priority: -5
            max_attempts: 2
            timeout: 1h30m
            hang_timeout: 250ms
            speculation: false
            tasks: 1
            """)
        #expect(job.name == "2024")
        #expect(job.priority == -5)
        #expect(job.maxAttempts == 2)
        #expect(job.timeout == .seconds(5400))
        #expect(job.hangTimeout == .milliseconds(250))
        #expect(!job.speculation)
    }

    @Test func jsonIsAcceptedToo() throws {
        let (job, planned) = try plan(#"{"kind": "noop", "name": "j", "tasks": 2, "timeout": 30}"#)
        #expect(job.timeout == .seconds(30))
        #expect(planned.tasks.count == 2)
    }

    @Test func aKeyWithoutValueCountsAsAbsent() throws {
        let (job, _) = try plan("kind: noop\nname: j\ntimeout:\ntasks: 1\n")
        #expect(job.timeout == nil)
        expectError(planningError("kind: noop\nname: j\ntasks: ~\n"), at: 3, 8, keyPath: "tasks", saying: "missing required key")
    }

    @Test func yamlSyntaxErrorsPointAtTheProblem() {
        expectError(
            planningError("kind: noop\nname: x\n  tasks: 1\n"), at: 3, 8, keyPath: "",
            saying: "invalid YAML: mapping values are not allowed")
        expectError(
            planningError("kind: noop\nname: [a, b\ntasks: 1\n"), at: 3, 6, keyPath: "",
            saying: "invalid YAML: did not find expected ',' or ']'")
        expectError(
            planningError("kind: noop\nname: x\nname: y\n"), at: 2, 1, keyPath: "", saying: "duplicate key 'name'")
    }

    @Test func theTopLevelMustBeAMapping() {
        expectError(planningError("- kind: noop\n- name: x\n"), at: 1, 1, keyPath: "", saying: "expected a mapping")
        expectError(planningError("just text\n"), at: 1, 1, keyPath: "", saying: "got a string")
        expectError(planningError("# nothing but a comment\n"), at: nil, nil, keyPath: "", saying: "the job file is empty")
    }

    @Test func kindAndNameAreRequired() {
        expectError(planningError("name: x\ntasks: 1\n"), at: 1, 1, keyPath: "kind", saying: "missing required key")
        expectError(planningError("kind: noop\ntasks: 1\n"), at: 1, 1, keyPath: "name", saying: "missing required key")
        expectError(planningError("kind: noop\nname: ''\ntasks: 1\n"), at: 2, 7, keyPath: "name", saying: "must not be empty")
    }

    @Test func wrongTypesSayWhatWasExpectedAndWhatCame() {
        expectError(
            planningError("kind: noop\nname: [a, b]\ntasks: 1\n"), at: 2, 7, keyPath: "name",
            saying: "expected a string, got a list")
        expectError(
            planningError("kind: noop\nname: x\nmax_attempts: '3'\ntasks: 1\n"), at: 3, 15, keyPath: "max_attempts",
            saying: "expected a whole number, got a string")
        expectError(
            planningError("kind: noop\nname: x\nspeculation: maybe\ntasks: 1\n"), at: 3, 14, keyPath: "speculation",
            saying: "expected true or false, got a string")
        expectError(
            planningError("kind: noop\nname: x\ntimeout: {seconds: 3}\ntasks: 1\n"), at: 3, 10, keyPath: "timeout",
            saying: "expected a duration such as 30s, got a mapping")
    }

    @Test func impossibleValuesAreRefused() {
        expectError(
            planningError("kind: noop\nname: x\nmax_attempts: 0\ntasks: 1\n"), at: 3, 15, keyPath: "max_attempts",
            saying: "must be between 1 and 1000, got 0")
        expectError(
            planningError("kind: noop\nname: x\ntimeout: 5x\ntasks: 1\n"), at: 3, 10, keyPath: "timeout",
            saying: "'5x' is not a duration")
        expectError(
            planningError("kind: noop\nname: x\ntimeout: -5\ntasks: 1\n"), at: 3, 10, keyPath: "timeout",
            saying: "'-5' is not a duration")
        expectError(
            planningError("kind: noop\nname: x\nhang_timeout: 0s\ntasks: 1\n"), at: 3, 15, keyPath: "hang_timeout",
            saying: "must be more than zero")
        // Numbers of seconds past what 64-bit nanoseconds hold: refused here, not an overflow in the coordinator.
        for huge in ["10000000000000000", "1e21"] {
            expectError(
                planningError("kind: noop\nname: x\nhang_timeout: \(huge)\ntasks: 1\n"), at: 3, 15,
                keyPath: "hang_timeout", saying: "(at most about 292 years)")
        }
        // A job timeout travels in 32-bit milliseconds, where 0 means none.
        expectError(
            planningError("kind: noop\nname: x\ntimeout: 0.0005\ntasks: 1\n"), at: 3, 10, keyPath: "timeout",
            saying: "must be from 1ms to 1193h2m47.295s, got '0.0005'")
        expectError(
            planningError("kind: noop\nname: x\ntimeout: 50d\ntasks: 1\n"), at: 3, 10, keyPath: "timeout",
            saying: "is not a duration")
        expectError(
            planningError("kind: noop\nname: x\ntimeout: 5000000\ntasks: 1\n"), at: 3, 10, keyPath: "timeout",
            saying: "must be from 1ms to")
        expectError(
            planningError("kind: noop\nname: x\npriority: 99999999999999999999\ntasks: 1\n"), at: 3, 11,
            keyPath: "priority", saying: "must be between")
    }

    @Test func unknownKeysSuggestTheNearestKnownOne() {
        expectError(
            planningError("kind: noop\nname: x\ntasks: 1\nmax_attempt: 2\n"), at: 4, 1, keyPath: "max_attempt",
            saying: "unknown key; did you mean 'max_attempts'?")
        expectError(
            planningError("kind: noop\nname: x\ntaks: 1\n"), at: 3, 1, keyPath: "taks", saying: "did you mean 'tasks'?")
        expectError(
            planningError("kind: noop\nname: x\ntasks: 1\ncolour: red\n"), at: 4, 1, keyPath: "colour",
            saying: "unknown key (known keys: fail_shards, hang_timeout, kind, max_attempts, name, priority")
    }

    @Test func anUnknownKindListsTheKnownKinds() {
        let error = planningError("kind: nop\nname: x\n")
        expectError(error, at: 1, 7, keyPath: "kind", saying: "unknown kind 'nop'; did you mean 'noop'?")
        #expect(error?.message.hasSuffix("(known kinds: command, etl, noop, predict, train)") == true)
    }

    @Test func theDescriptionReadsLikeACompilerMessage() {
        let error = planningError("kind: noop\nname: x\ntimeout: 5x\ntasks: 1\n")
        #expect(error?.description.hasPrefix("job.yaml:3:10: timeout: '5x' is not a duration") == true)
    }

    @Test func theWorkingDirectoryMustBeAbsolute() {
        expectError(
            planningError("kind: noop\nname: x\ntasks: 1\n", workingDirectory: "relative/dir"), at: nil, nil, keyPath: "",
            saying: "is not an absolute path")
    }
}
