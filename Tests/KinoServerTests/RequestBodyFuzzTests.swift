import Foundation
@testable import KinoServer
import KinoService
import KinoTestSupport
import Testing

/// A fuzz target for the request body parsers (JSON, multipart, url-encoded): the seed corpus in
/// `Tests/Fixtures/fuzz-corpus/` (valid and hostile bodies; the file's extension picks its content type) plus
/// deterministic mutations of it, fed to `RequestBody.fields`. Every input must come back as parsed fields or as
/// a 400-class `KinoServiceError`: never a crash, a hang, or any other error (which the API would answer 500).
///
/// The run is seeded and bounded (20,000 inputs, a few seconds) so CI is repeatable. To fuzz longer or
/// elsewhere, set `KINO_FUZZ_INPUTS` (how many inputs) and `KINO_FUZZ_SEED`:
///     KINO_FUZZ_INPUTS=5000000 KINO_FUZZ_SEED=7 swift test --filter RequestBodyFuzzTests
/// A failure prints the seed, the input's number and its bytes in hex; add the bytes to the corpus once fixed.
@Suite("Request body fuzzing")
struct RequestBodyFuzzTests {
    static let corpusFolder = Fixtures.root.appendingPathComponent("fuzz-corpus")
    static let contentTypes = [
        "json": "application/json",
        "multipart": "multipart/form-data; boundary=XyZ123",
        "form": "application/x-www-form-urlencoded",
        "bin": "",
    ]
    /// Fragments that matter to one parser or another, spliced in by the mutator.
    static let tokens: [[UInt8]] = [
        "\"", "{", "}", "[", "]", ":", ",", "\\", "\\u", "\\ud83c", "\\udc00", "null", "1e999", "-", "\"prompt\"",
        "--XyZ123", "--XyZ123--", "\r\n", "\r\n\r\n", "Content-Disposition: form-data; name=\"prompt\"", "; filename=\"a\"",
        "%", "%zz", "%E2%82", "&", "=", "+", "\u{0}",
    ].map { Array($0.utf8) } + [[0xFF], [0xC3], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80]]

    struct Input {
        var contentType: String?
        var body: [UInt8]
    }

    static func corpus() throws -> [Input] {
        let files = try FileManager.default.contentsOfDirectory(at: corpusFolder, includingPropertiesForKeys: nil)
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        return try files.compactMap { file in
            guard let type = contentTypes[file.pathExtension] else { return nil }
            return Input(contentType: type.isEmpty ? nil : type, body: Array(try Data(contentsOf: file)))
        }
    }

    /// The parsers' contract: fields, or a client error.
    static func check(_ input: Input) -> String? {
        do {
            _ = try RequestBody.fields(contentType: input.contentType, body: input.body)
            return nil
        } catch let error as KinoServiceError where error.kind == .invalidRequest || error.kind == .unsupported {
            return nil
        } catch {
            return "\(type(of: error)): \(error)"
        }
    }

    @Test func theCorpusItselfParsesOrIsRefused() throws {
        let corpus = try Self.corpus()
        #expect(corpus.count >= 12)
        for input in corpus {
            #expect(Self.check(input) == nil)
        }
    }

    @Test func mutatedBodiesNeverCrashOrEscapeAsServerErrors() throws {
        let environment = ProcessInfo.processInfo.environment
        let budget = environment["KINO_FUZZ_INPUTS"].flatMap(Int.init) ?? 20_000
        let seed = environment["KINO_FUZZ_SEED"].flatMap(UInt64.init) ?? 25
        let corpus = try Self.corpus()
        var random = FuzzRandom(seed: seed)
        let types = Self.contentTypes.values.sorted()
        var failures = 0
        for number in 0..<budget {
            var input = corpus[Int(random.next() % UInt64(corpus.count))]
            for _ in 0...(random.next() % 4) { mutate(&input.body, &random) }
            // Now and then the wrong parser for the bytes, or a boundary parameter that is odd.
            switch random.next() % 16 {
            case 0: input.contentType = types[Int(random.next() % UInt64(types.count))]
            case 1: input.contentType = "multipart/form-data; boundary=\"\""
            case 2: input.contentType = "multipart/form-data; boundary=--"
            default: break
            }
            if let problem = Self.check(input) {
                failures += 1
                Issue.record("seed \(seed), input \(number), type \(input.contentType ?? "none"): \(problem)\n\(input.body.map { String(format: "%02x", $0) }.joined())")
                if failures >= 5 { return }
            }
        }
    }

    func mutate(_ bytes: inout [UInt8], _ random: inout FuzzRandom) {
        func position(_ extra: Int = 0) -> Int { Int(random.next() % UInt64(bytes.count + 1 + extra)) }
        switch random.next() % 8 {
        case 0 where !bytes.isEmpty:  // flip a bit
            let index = position(-1)
            bytes[index] ^= UInt8(1 << (random.next() % 8))
        case 1:  // insert a random byte
            bytes.insert(UInt8(truncatingIfNeeded: random.next()), at: position())
        case 2 where !bytes.isEmpty:  // delete a range
            let start = position(-1)
            let end = min(bytes.count, start + 1 + Int(random.next() % 16))
            bytes.removeSubrange(start..<end)
        case 3 where !bytes.isEmpty:  // repeat a range
            let start = position(-1)
            let end = min(bytes.count, start + 1 + Int(random.next() % 32))
            bytes.insert(contentsOf: Array(bytes[start..<end]), at: position())
        case 4 where !bytes.isEmpty:  // cut short
            bytes.removeSubrange(position(-1)...)
        default:  // splice in a token
            bytes.insert(contentsOf: Self.tokens[Int(random.next() % UInt64(Self.tokens.count))], at: position())
        }
    }
}

/// A small, seedable generator (SplitMix64) so a failing run can be replayed exactly.
struct FuzzRandom: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
