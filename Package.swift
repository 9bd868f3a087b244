// swift-tools-version:6.0
import PackageDescription

// The engine's targets compile with -O even in debug builds, checks on: the integration tests run the real engine
// from the debug build, and unoptimised kernels are 20-50x slower. Release builds of the two targets that hold
// Swift kernel loops drop the checks (-Ounchecked): the VAE's conv3d is 20-25% faster without them and nothing else
// measurably changes (docs/engine.md, "Compiler flags").
let engineOptimisation: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]
let kernelOptimisation: [SwiftSetting] = engineOptimisation + [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]

let package = Package(
    name: "Kino",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "kino", targets: ["kino"]),
        .library(name: "KinoRender", targets: ["KinoRender"]),
        .library(name: "KinoTensor", targets: ["KinoTensor"]),
        .library(name: "KinoMedia", targets: ["KinoMedia"]),
        .library(name: "KinoProvenance", targets: ["KinoProvenance"]),
        .library(name: "KinoService", targets: ["KinoService"]),
        .library(name: "KinoServer", targets: ["KinoServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.65.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    ],
    targets: [
        .systemLibrary(name: "CKinoBLAS", path: "Sources/CKinoBLAS"),
        .target(name: "CKinoKernels", cSettings: [.unsafeFlags(["-O3"])]),
        .target(
            name: "KinoTensor",
            dependencies: ["CKinoBLAS", "CKinoKernels", .product(name: "Logging", package: "swift-log")],
            swiftSettings: kernelOptimisation
        ),
        .target(
            name: "KinoModels",
            dependencies: ["KinoTensor", .product(name: "Logging", package: "swift-log")],
            swiftSettings: kernelOptimisation
        ),
        .target(name: "KinoPipeline", dependencies: ["KinoModels"], swiftSettings: engineOptimisation),
        .executableTarget(
            name: "kino",
            dependencies: [
                "KinoTensor",
                "KinoModels",
                "KinoPipeline",
                "KinoMedia",
                "KinoProvenance",
                "KinoRender",
                "KinoService",
                "KinoServer",
                "KinoEval",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "KinoTensorTests", dependencies: ["KinoTensor"]),
        .testTarget(name: "KinoModelsTests", dependencies: ["KinoModels", "KinoTestSupport"]),
        .testTarget(name: "KinoPipelineTests", dependencies: ["KinoPipeline", "KinoTestSupport"]),
        // The one path from a clip request to a finished clip; every front end (CLI, server, eval, benches) calls it.
        .target(name: "KinoRender", dependencies: ["KinoPipeline", "KinoMedia", "KinoProvenance", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "KinoRenderTests", dependencies: ["KinoRender", "KinoTestSupport"]),
        // Test aids shared by the test targets and the test server; never linked into `kino`.
        .target(
            name: "KinoTestSupport",
            dependencies: [
                "KinoRender", "KinoService", "KinoMedia", "KinoProvenance", "KinoTensor",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/KinoTestSupport"
        ),
        // `kino serve` with the test-pattern renderer, for the integration tests that need controlled timing.
        .executableTarget(
            name: "kino-test-server",
            dependencies: [
                "KinoTestSupport", "KinoServer", "KinoService", "KinoRender",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Tests/KinoTestServer"
        ),
        // -O even in debug builds: the per-pixel loops (resizing, watermarks) are 20-50x slower unoptimised.
        .target(
            name: "KinoMedia",
            dependencies: [.product(name: "Logging", package: "swift-log")],
            swiftSettings: [.unsafeFlags(["-O"])]
        ),
        .target(name: "KinoEval", dependencies: ["KinoMedia"], swiftSettings: [.unsafeFlags(["-O"])]),
        .testTarget(name: "KinoEvalTests", dependencies: ["KinoEval", "KinoMedia"]),
        .testTarget(name: "KinoMediaTests", dependencies: ["KinoMedia"]),
        .target(
            name: "KinoProvenance",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "KinoProvenanceTests", dependencies: ["KinoProvenance"]),
        .systemLibrary(name: "CKinoSQLite", path: "Sources/CKinoSQLite"),
        .target(
            name: "KinoService",
            dependencies: [
                "CKinoSQLite",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                // Webhook deliveries and remote input pictures (OutboundHTTP), over TLS.
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .target(
            name: "KinoServer",
            dependencies: [
                "KinoService",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            // The studio and review pages, their script and style, the OpenAPI document (ServerAssets).
            resources: [.copy("Resources")]
        ),
        .testTarget(name: "KinoServiceTests", dependencies: ["KinoService", "KinoTestSupport"]),
        .testTarget(
            name: "KinoServerTests",
            dependencies: [
                "KinoServer",
                "KinoService",
                "KinoTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
    ]
)
