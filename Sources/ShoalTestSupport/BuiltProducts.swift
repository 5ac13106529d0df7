import Foundation

/// Where `swift build`/`swift test` put the package's executables.
public enum BuiltProducts {
    /// The `shoal` executable next to the running test bundle, or `$SHOAL_BINARY` when set.
    public static var shoal: URL {
        get throws {
            if let override = ProcessInfo.processInfo.environment["SHOAL_BINARY"] {
                return URL(fileURLWithPath: override)
            }
            var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            // Inside `X.xctest/…` on some platforms: climb to the build folder.
            while directory.path.contains(".xctest") { directory.deleteLastPathComponent() }
            let candidate = directory.appendingPathComponent("shoal")
            guard FileManager.default.isExecutableFile(atPath: candidate.path) else {
                throw BuiltProductsError(
                    "no shoal executable at \(candidate.path): run `swift build` first or set SHOAL_BINARY")
            }
            return candidate
        }
    }
}

public struct BuiltProductsError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
