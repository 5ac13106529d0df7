// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Shoal",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "shoal", targets: ["shoal"]),
        .library(name: "ZeroMQ", targets: ["ZeroMQ"]),
        .library(name: "ShoalProtocol", targets: ["ShoalProtocol"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // libzmq from the system (Debian: libzmq3-dev). Nothing but the modulemap and a shim header.
        .systemLibrary(
            name: "CZeroMQ",
            pkgConfig: "libzmq",
            providers: [.apt(["libzmq3-dev"])]
        ),
        // The only Swift module that calls libzmq.
        .target(name: "ZeroMQ", dependencies: ["CZeroMQ"]),
        // Shoal's wire protocol: message types and their encoding over frames; no sockets.
        .target(name: "ShoalProtocol", dependencies: ["ZeroMQ"]),
        // Client-side operations: the preflight check behind `shoal doctor`, ping.
        .target(
            name: "ShoalClient",
            dependencies: ["ZeroMQ", "ShoalProtocol", .product(name: "Logging", package: "swift-log")]
        ),
        // The coordinator service (for now: the PING responder every coordinator endpoint runs).
        .target(
            name: "ShoalCoordinator",
            dependencies: [
                "ZeroMQ",
                "ShoalProtocol",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The CLI: parses flags into settings and runs services.
        .executableTarget(
            name: "shoal",
            dependencies: [
                "ZeroMQ",
                "ShoalProtocol",
                "ShoalClient",
                "ShoalCoordinator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Benchmarks run on demand (bench/run.sh), never in the test suite.
        .executableTarget(
            name: "shoal-bench",
            dependencies: ["ZeroMQ"],
            path: "bench/Sources/shoal-bench"
        ),
        // Helpers for tests only: child processes, temporary directories, deadlines.
        .target(name: "ShoalTestSupport", dependencies: []),
        .testTarget(name: "ZeroMQTests", dependencies: ["ZeroMQ", "ShoalTestSupport"]),
        .testTarget(name: "ShoalProtocolTests", dependencies: ["ShoalProtocol", "ZeroMQ", "ShoalTestSupport"]),
        .testTarget(
            name: "ShoalClientTests",
            dependencies: [
                "ShoalClient", "ShoalCoordinator", "ShoalProtocol", "ZeroMQ", "ShoalTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Runs the real `shoal` executable as child processes; depends on it so `swift test` builds it.
        .testTarget(
            name: "ShoalCLITests",
            dependencies: ["shoal", "ShoalCoordinator", "ShoalProtocol", "ZeroMQ", "ShoalTestSupport"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
