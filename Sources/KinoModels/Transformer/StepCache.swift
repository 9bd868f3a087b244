import KinoTensor

/// First-block step caching (turbo mode): between denoising steps the output of the first block changes little
/// once the coarse layout is fixed. Each step runs block 0; when its residual differs from the one seen at the
/// last fully computed step by less than `threshold` (mean |Δ| / mean |previous|), the remaining blocks are
/// skipped and their cached residual is added instead. Use one cache per guidance branch and per generation.
public final class StepCache {
    public let threshold: Float
    /// Steps that reused the cached residual / ran every block.
    public private(set) var reused = 0
    public private(set) var computed = 0
    private var firstResidual: [Float]?
    private var restResidual: Tensor?

    public init(threshold: Float) {
        self.threshold = threshold
    }

    /// The relative change of block 0's residual since the last full step (infinity when there is none).
    public func change(_ residual: [Float]) -> Float {
        guard let previous = firstResidual, previous.count == residual.count else { return .infinity }
        var diff: Float = 0, base: Float = 0
        for i in 0..<residual.count {
            diff += abs(residual[i] - previous[i])
            base += abs(previous[i])
        }
        return base > 0 ? diff / base : .infinity
    }

    /// Runs the blocks on `x` with the cache: `first` is block 0, `rest` the others.
    public func run(_ x: Tensor, first: (Tensor) -> Tensor, rest: (Tensor) throws -> Tensor) rethrows -> Tensor {
        let afterFirst = first(x)
        let residual = (afterFirst - x).scalars
        if change(residual) < threshold, let cached = restResidual, cached.shape == afterFirst.shape {
            reused += 1
            return afterFirst + cached
        }
        let out = try rest(afterFirst)
        firstResidual = residual
        restResidual = out - afterFirst
        computed += 1
        return out
    }
}
