import Foundation
import KinoTensor

/// Training-free step caching: between denoising steps much of the transformer's work repeats, so some calls
/// reuse what an earlier call computed instead of running the block stack. Each method decides per call from a
/// cheap signal and reuses a cached difference:
/// - `firstBlock`: runs block 0; when its residual barely changed since the last full call, adds the cached
///   residual of the other blocks.
/// - `teaCache` (TeaCache, Wan 2.1 1.3B): accumulates a fitted polynomial of the relative change of the time
///   embedding; below the threshold the whole block stack's cached residual is added. Its coefficients were fitted
///   on Wan 2.1 1.3B, so it runs only on transformers of that shape.
/// - `easyCache` (EasyCache): estimates the output's change from the input's change times the last measured
///   transformation rate; below the threshold the whole model is skipped and its cached output − input added.
/// - `magCache` (MagCache): multiplies calibrated ratios of successive residual magnitudes; while the accumulated
///   error stays below the threshold (and at most `maxSkips` calls in a row) the block stack's residual is reused.
/// The first step (and for TeaCache and EasyCache the last) always runs; EasyCache and MagCache also keep the
/// first fifth of the steps. Use one cache per guidance branch and per generation.
public enum StepCacheMode: Sendable, Equatable, CustomStringConvertible {
    case firstBlock(threshold: Float)
    case teaCache(threshold: Float)
    case easyCache(threshold: Float)
    case magCache(threshold: Float, maxSkips: Int)

    public static let names = ["easycache", "teacache", "magcache", "firstblock"]

    /// Parses `easycache`, `teacache:0.08`, `magcache:0.12`, `firstblock:0.1` (the threshold is optional).
    public init(parsing text: String) throws {
        let parts = text.lowercased().split(separator: ":", maxSplits: 1).map(String.init)
        var threshold: Float?
        if parts.count == 2 {
            guard let t = Float(parts[1]), t.isFinite, t >= 0 else {
                throw ModelError.invalidInput("the cache threshold in '\(text)' must be a number >= 0, e.g. easycache:0.05")
            }
            threshold = t
        }
        switch parts.first ?? "" {
        case "easycache": self = .easyCache(threshold: threshold ?? 0.05)
        case "teacache": self = .teaCache(threshold: threshold ?? 0.08)
        case "magcache": self = .magCache(threshold: threshold ?? 0.12, maxSkips: 2)
        case "firstblock": self = .firstBlock(threshold: threshold ?? 0.1)
        default:
            throw ModelError.invalidInput("unknown cache '\(text)'; use one of \(Self.names.joined(separator: ", ")), optionally with :THRESHOLD")
        }
    }

    public var threshold: Float {
        switch self {
        case .firstBlock(let t), .teaCache(let t), .easyCache(let t), .magCache(let t, _): t
        }
    }

    public var description: String {
        switch self {
        case .firstBlock(let t): "firstblock:\(t)"
        case .teaCache(let t): "teacache:\(t)"
        case .easyCache(let t): "easycache:\(t)"
        case .magCache(let t, _): "magcache:\(t)"
        }
    }

    /// TeaCache's polynomial for Wan 2.1 1.3B without retention steps (ali-vilab/TeaCache, TeaCache4Wan2.1),
    /// highest power first, applied to the relative L1 change of the time embedding.
    static let teaCacheWan13B: [Double] = [2.39676752e+03, -1.31110545e+03, 2.01331979e+02, -8.29855975e+00, 1.37887774e-01]
}

/// A request's caching choice: off, or a method (nil elsewhere means "the default": none, or turbo's).
public enum CacheSetting: Sendable, Equatable {
    case off
    case on(StepCacheMode)

    /// `off`, or what `StepCacheMode(parsing:)` accepts.
    public init(parsing text: String) throws {
        self = text.lowercased() == "off" ? .off : .on(try StepCacheMode(parsing: text))
    }

    public var mode: StepCacheMode? {
        if case .on(let mode) = self { mode } else { nil }
    }
}

/// One guidance branch's cache state over one generation.
public final class StepCache {
    public let mode: StepCacheMode
    /// Steps in the run (the last step always computes for TeaCache and EasyCache).
    public let steps: Int
    /// MagCache's calibrated ratios, one per step (`MagCacheCalibration`).
    let magRatios: [Float]
    /// Calls that reused cached work / ran every block.
    public private(set) var reused = 0
    public private(set) var computed = 0
    /// When set, every call computes and records the ratio of successive residual magnitudes (MagCache calibration).
    public var recordsMagnitudes = false
    public private(set) var magnitudeRatios: [Float] = []

    private var call = 0
    private var accumulated: Double = 0
    // firstBlock
    private var firstResidual: [Float]?
    // teaCache
    private var previousEmbedding: [Float]?
    // teaCache, magCache, firstBlock: the residual of the blocks it skips
    private var blockResidual: Tensor?
    private var previousResidualNorms: [Float]?
    // magCache
    private var magProduct: Double = 1
    private var skipsInARow = 0
    // easyCache
    private var previousInput: Tensor?
    private var inputBeforeThat: Tensor?
    private var previousOutput: Tensor?
    private var transformationRate: Double?
    private var outputMinusInput: Tensor?

    public init(mode: StepCacheMode, steps: Int, magRatios: [Float] = []) {
        self.mode = mode
        self.steps = max(steps, 1)
        self.magRatios = magRatios
    }

    /// The first-block cache as turbo mode used it before the other methods existed.
    public convenience init(threshold: Float) {
        self.init(mode: .firstBlock(threshold: threshold), steps: Int.max)
    }

    private var isFirst: Bool { call == 0 }
    private var isLast: Bool { call >= steps - 1 }
    /// The leading fifth of the steps (at least one) that EasyCache and MagCache never skip.
    private var inRetention: Bool { call < max(1, Int((Double(steps) * 0.2).rounded(.up))) }

    /// EasyCache: the whole model's output for `input` rebuilt from the cached output − input, or nil to compute.
    /// Call once per transformer call, before anything else.
    public func reuseWholeOutput(_ input: Tensor) -> Tensor? {
        guard case .easyCache(let threshold) = mode, !recordsMagnitudes else { return nil }
        var skip = false
        if !inRetention, !isLast, let previous = previousInput, let output = previousOutput, let rate = transformationRate,
           let cached = outputMinusInput, cached.shape == input.shape {
            let outputScale = Double(output.meanAbs())
            if outputScale > 0 {
                accumulated += rate * Double((input - previous).meanAbs()) / outputScale
                skip = accumulated < Double(threshold)
            }
        }
        if !skip { accumulated = 0 }
        previousInput = input
        guard skip, let cached = outputMinusInput else { return nil }
        reused += 1
        call += 1
        return input + cached
    }

    /// Runs the block stack on `x` (`first` is block 0, `rest` the others) or reuses a cached residual.
    /// `embedding` is the time embedding [B, dim] the call conditions on (TeaCache's signal).
    public func runBlocks(_ x: Tensor, embedding: Tensor, first: (Tensor) -> Tensor,
                          rest: (Tensor) throws -> Tensor) rethrows -> Tensor {
        switch mode {
        case .firstBlock(let threshold):
            let afterFirst = first(x)
            let residual = (afterFirst - x).scalars
            if !recordsMagnitudes, let cached = blockResidual, cached.shape == afterFirst.shape,
               Self.relativeL1(residual, firstResidual) < threshold {
                return reuse(afterFirst + cached)
            }
            let out = try rest(afterFirst)
            firstResidual = residual
            return computed(out, residual: out - afterFirst)
        case .teaCache(let threshold):
            let signal = embedding.scalars
            var skip = false
            if !isFirst, !isLast, !recordsMagnitudes, let previous = previousEmbedding {
                let d = Double(Self.relativeL1(signal, previous))
                accumulated += StepCacheMode.teaCacheWan13B.reduce(0) { $0 * d + $1 }
                skip = accumulated < Double(threshold)
            }
            if !skip { accumulated = 0 }
            previousEmbedding = signal
            if skip, let cached = blockResidual, cached.shape == x.shape { return reuse(x + cached) }
            let out = try rest(first(x))
            return computed(out, residual: out - x)
        case .magCache(let threshold, let maxSkips):
            if !inRetention, !recordsMagnitudes, call < magRatios.count, let cached = blockResidual, cached.shape == x.shape {
                magProduct *= Double(magRatios[call])
                skipsInARow += 1
                accumulated += abs(1 - magProduct)
                if accumulated < Double(threshold), skipsInARow <= maxSkips { return reuse(x + cached) }
            }
            accumulated = 0
            skipsInARow = 0
            magProduct = 1
            let out = try rest(first(x))
            return computed(out, residual: out - x)
        case .easyCache:
            let out = try rest(first(x))
            return computed(out, residual: nil)
        }
    }

    /// EasyCache: records the call's input and output (and the transformation rate between computed calls).
    /// Call at the end of every computed transformer call.
    public func finish(input: Tensor, output: Tensor) {
        guard case .easyCache = mode else { return }
        if let lastOutput = previousOutput, let before = inputBeforeThat {
            let inputChange = Double((input - before).meanAbs())
            if inputChange > 0 { transformationRate = Double((output - lastOutput).meanAbs()) / inputChange }
        }
        inputBeforeThat = input
        previousOutput = output
        outputMinusInput = output - input
    }

    private func reuse(_ out: Tensor) -> Tensor {
        reused += 1
        call += 1
        return out
    }

    private func computed(_ out: Tensor, residual: Tensor?) -> Tensor {
        if let residual {
            if recordsMagnitudes { recordMagnitude(residual) }
            blockResidual = residual
        }
        computed += 1
        call += 1
        return out
    }

    /// MagCache's calibration signal: the mean over tokens of ‖residual‖ / ‖previous residual‖.
    private func recordMagnitude(_ residual: Tensor) {
        let dim = residual.shape.last ?? 1
        let values = residual.scalars
        let norms = stride(from: 0, to: values.count, by: dim).map { start in
            Foundation.sqrt(values[start..<(start + dim)].reduce(Float(0)) { $0 + $1 * $1 })
        }
        if let previous = previousResidualNorms, previous.count == norms.count {
            let ratios = zip(norms, previous).map { $1 > 0 ? $0 / $1 : 1 }
            magnitudeRatios.append(ratios.reduce(0, +) / Float(max(ratios.count, 1)))
        } else {
            magnitudeRatios.append(1)
        }
        previousResidualNorms = norms
    }

    /// mean |a − b| / mean |b| (infinity without a previous value).
    static func relativeL1(_ a: [Float], _ b: [Float]?) -> Float {
        guard let b, b.count == a.count else { return .infinity }
        var diff: Float = 0, base: Float = 0
        for i in 0..<a.count {
            diff += abs(a[i] - b[i])
            base += abs(b[i])
        }
        return base > 0 ? diff / base : .infinity
    }
}
