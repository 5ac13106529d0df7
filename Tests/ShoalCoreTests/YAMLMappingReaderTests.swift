import ShoalCore
import Testing

/// `YAMLMappingReader` on its own: nested key paths, list elements, maps, and the types they accept.
@Suite struct YAMLMappingReaderTests {
    private func reader(_ yaml: String) throws -> YAMLMappingReader {
        let node = try #require(try YAMLNode.parse(yaml: yaml, source: "x.yaml"))
        return try YAMLMappingReader(node, source: "x.yaml")
    }

    @Test func nestedMappingsCarryTheirKeyPath() throws {
        let root = try reader("outer:\n  inner: 3\n  other: [1, 2]\n")
        let outer = try #require(try root.optionalMapping("outer", keys: ["inner", "other"]))
        #expect(outer.keyPath == "outer")
        #expect(try outer.optionalInt("inner", range: 0...10) == 3)
        expectError(
            #expect(throws: JobFileError.self) { try outer.optionalInt("inner", range: 5...10) }, at: 2, 10,
            keyPath: "outer.inner", saying: "must be between 5 and 10, got 3")
        expectError(
            #expect(throws: JobFileError.self) { try root.optionalMapping("outer", keys: ["inner"]) }, at: 3, 3,
            keyPath: "outer.other", saying: "unknown key (known keys: inner)")
    }

    @Test func listElementsAreLocatedOneByOne() throws {
        let root = try reader("numbers:\n  - 1\n  - two\n  - 3\n")
        expectError(
            #expect(throws: JobFileError.self) { try root.optionalIntList("numbers", range: 0...9) }, at: 3, 5,
            keyPath: "numbers[1]", saying: "expected a whole number, got a string")
        expectError(
            root.error("not this one", key: "numbers", element: 2), at: 4, 5, keyPath: "numbers[2]",
            saying: "not this one")
    }

    @Test func scalarsReadAsTextWhereTextIsExpected() throws {
        let root = try reader("env: {PORT: 8080, DEBUG: true, NAME: \"x y\", EMPTY: ''}\nwords: [a, 1, '']\n")
        #expect(try root.optionalStringMap("env") == ["PORT": "8080", "DEBUG": "true", "NAME": "x y", "EMPTY": ""])
        #expect(try root.optionalStringList("words") == ["a", "1", ""])
        #expect(try root.optionalStringOrList("words") == .list(["a", "1", ""]))
        expectError(
            #expect(throws: JobFileError.self) { try root.optionalStringList("env") }, at: 1, 6, keyPath: "env",
            saying: "expected a list of strings, got a mapping")
    }

    @Test func numbersAndBooleansKeepTheirTypes() throws {
        let root = try reader("factor: 2.5\nwhole: 3\nquoted: '3'\nflag: yes\n")
        #expect(try root.optionalDouble("factor", range: 0...10) == 2.5)
        #expect(try root.optionalDouble("whole", range: 0...10) == 3)
        #expect(try root.optionalBool("flag") == true)
        expectError(
            #expect(throws: JobFileError.self) { try root.optionalDouble("quoted", range: 0...10) }, at: 3, 9,
            keyPath: "quoted", saying: "expected a number, got a string")
        expectError(
            #expect(throws: JobFileError.self) { try root.optionalInt("factor", range: 0...10) }, at: 1, 9,
            keyPath: "factor", saying: "expected a whole number, got a number")
    }

    @Test func aKeyMustBeAName() {
        expectError(
            #expect(throws: JobFileError.self) { try YAMLNode.parse(yaml: "? [a, b]\n: c\n", source: "x.yaml") }, at: 1, 3,
            keyPath: "", saying: "a key must be a name, got a list")
    }
}
