import Foundation
import Testing
@testable import KinoTensor

struct SafeTensorsTests {
    private func temporaryPath(_ name: String) -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kino-st-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent(name).path
    }

    /// A file with a hand-written header and `dataBytes` bytes of data.
    private func write(header: String, dataBytes: Int, name: String = "bad.safetensors") -> String {
        let path = temporaryPath(name)
        var data = Data()
        let h = Data(header.utf8)
        withUnsafeBytes(of: UInt64(h.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(h)
        data.append(Data(repeating: 0, count: dataBytes))
        FileManager.default.createFile(atPath: path, contents: data)
        return path
    }

    private func expectMalformed(_ path: String, tensor: String?, containing text: String) {
        do {
            _ = try SafeTensorsFile(path: path)
            Issue.record("expected an error for \(path)")
        } catch {
            guard case .malformedSafetensors(let p, let t, let message) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(p == path)
            #expect(t == tensor)
            #expect(message.contains(text), "message was: \(message)")
            #expect(error.description.contains(path))
        }
    }

    @Test func roundTripsEveryDType() throws {
        let path = temporaryPath("ok.safetensors")
        let a = Reference.random([3, 5], seed: 1)
        let tensors = ["a": a, "b.half": a.converted(to: .f16), "c.bf": a.converted(to: .bf16), "empty": Tensor(zeros: [0, 4])]
        try SafeTensors.write(tensors, metadata: ["format": "pt"], to: path)
        let file = try SafeTensorsFile(path: path)
        #expect(file.names == ["a", "b.half", "c.bf", "empty"])
        #expect(file.metadata["format"] == "pt")
        let back = try file.tensor("a")
        #expect(back.storage.isMapped)
        #expect(back.scalars == a.scalars)
        #expect(try file.tensor("b.half").dtype == .f16)
        #expect(try file.tensor("b.half").scalars == a.converted(to: .f16).scalars)
        #expect(try file.tensor("c.bf").scalars == a.converted(to: .bf16).scalars)
        #expect(try file.tensor("empty").shape == [0, 4])
        #expect(throws: TensorError.self) { try file.tensor("missing") }
    }

    @Test func zeroByteAndTruncatedFiles() throws {
        let empty = temporaryPath("empty.safetensors")
        FileManager.default.createFile(atPath: empty, contents: Data())
        expectMalformed(empty, tensor: nil, containing: "shorter than the 8-byte header")
        // A valid file cut in the middle of its data.
        let path = temporaryPath("cut.safetensors")
        try SafeTensors.write(["w": Reference.random([64], seed: 2)], to: path)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(bytes.count - 10).write(to: URL(fileURLWithPath: path))
        expectMalformed(path, tensor: "w", containing: "out of range")
    }

    @Test func headerLengthPastTheEnd() {
        let path = temporaryPath("long.safetensors")
        var data = Data()
        withUnsafeBytes(of: UInt64(1 << 40).littleEndian) { data.append(contentsOf: $0) }
        data.append(Data("{}".utf8))
        FileManager.default.createFile(atPath: path, contents: data)
        expectMalformed(path, tensor: nil, containing: "runs past the end")
    }

    @Test func invalidJSONAndWrongTypes() {
        expectMalformed(write(header: "{not json", dataBytes: 0), tensor: nil, containing: "not valid JSON")
        expectMalformed(write(header: #"{"x": {"dtype": "F32", "shape": [2], "data_offsets": [0]}}"#, dataBytes: 8), tensor: "x", containing: "two integers")
        expectMalformed(write(header: #"{"x": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}}"#, dataBytes: 8), tensor: "x", containing: "non-negative")
    }

    @Test func unknownDType() {
        expectMalformed(write(header: #"{"x": {"dtype": "Q4_K", "shape": [2], "data_offsets": [0, 8]}}"#, dataBytes: 8),
                        tensor: "x", containing: "unknown dtype Q4_K")
    }

    @Test func integerTensorsReadAsIntegersButNotAsFloats() throws {
        let path = write(header: #"{"ids": {"dtype": "I64", "shape": [2], "data_offsets": [0, 16]}}"#, dataBytes: 16)
        let file = try SafeTensorsFile(path: path)
        #expect(try file.integers("ids") == [0, 0])
        #expect(throws: TensorError.self) { try file.tensor("ids") }
    }

    @Test func outOfRangeAndReversedOffsets() {
        expectMalformed(write(header: #"{"x": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}"#, dataBytes: 8),
                        tensor: "x", containing: "out of range")
        expectMalformed(write(header: #"{"x": {"dtype": "F32", "shape": [0], "data_offsets": [8, 4]}}"#, dataBytes: 8),
                        tensor: "x", containing: "out of range")
    }

    @Test func overlappingTensors() {
        let header = #"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}"#
        expectMalformed(write(header: header, dataBytes: 12), tensor: "b", containing: "overlaps tensor 'a'")
    }

    @Test func shapeSizeMismatch() {
        expectMalformed(write(header: #"{"x": {"dtype": "BF16", "shape": [3, 3], "data_offsets": [0, 16]}}"#, dataBytes: 16),
                        tensor: "x", containing: "needs 18 bytes but data_offsets span 16")
    }

    @Test func missingFileNamesThePath() {
        #expect(throws: TensorError.io(path: "/nonexistent/x.safetensors", message: "cannot open (No such file or directory)")) {
            try SafeTensorsFile(path: "/nonexistent/x.safetensors")
        }
    }
}
