// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Kino",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "kino", targets: ["kino"]),
        .library(name: "KinoTensor", targets: ["KinoTensor"]),
        .library(name: "KinoMedia", targets: ["KinoMedia"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .systemLibrary(name: "CKinoBLAS", path: "Sources/CKinoBLAS"),
        .target(
            name: "KinoTensor",
            dependencies: ["CKinoBLAS", .product(name: "Logging", package: "swift-log")],
            swiftSettings: [.unsafeFlags(["-Ounchecked"])]
        ),
        .target(name: "KinoModels", dependencies: ["KinoTensor"], swiftSettings: [.unsafeFlags(["-Ounchecked"])]),
        .target(name: "KinoPipeline", dependencies: ["KinoModels"]),
        .executableTarget(
            name: "kino",
            dependencies: [
                "KinoTensor",
                "KinoModels",
                "KinoPipeline",
                "KinoMedia",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "KinoTensorTests", dependencies: ["KinoTensor"]),
        .testTarget(name: "KinoModelsTests", dependencies: ["KinoModels"]),
        .testTarget(name: "KinoPipelineTests", dependencies: ["KinoPipeline"]),
        .target(name: "KinoMedia", dependencies: [.product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "KinoMediaTests", dependencies: ["KinoMedia"]),
    ]
)
