import KinoTensor

/// A PyTorch `nn.Linear`: y = x·Wᵀ + b, weight [out, in] in its stored dtype.
public struct Linear: Sendable {
    public let weight: Tensor
    public let bias: Tensor?

    public init(weight: Tensor, bias: Tensor?) {
        self.weight = weight
        self.bias = bias
    }

    /// Reads `<name>.weight` [out, in] and, when `bias`, `<name>.bias` [out].
    public init(_ p: ParameterReader, _ name: String, in inFeatures: Int, out outFeatures: Int, bias: Bool = true) {
        weight = p("\(name).weight", shape: [outFeatures, inFeatures])
        self.bias = bias ? p("\(name).bias", shape: [outFeatures]).toF32() : nil
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        x.linear(weight, bias: bias)
    }
}

/// RMSNorm with a learned scale (PyTorch `nn.RMSNorm`, T5's layer norm).
public struct RMSNorm: Sendable {
    public let weight: Tensor
    public let eps: Float

    public init(_ p: ParameterReader, _ name: String, dim: Int, eps: Float) {
        weight = p("\(name).weight", shape: [dim]).toF32()
        self.eps = eps
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { x.rmsNorm(eps: eps, weight: weight) }
}

/// LayerNorm with an optional affine transform.
public struct LayerNorm: Sendable {
    public let weight: Tensor?
    public let bias: Tensor?
    public let eps: Float

    public init(eps: Float) {
        weight = nil
        bias = nil
        self.eps = eps
    }

    public init(_ p: ParameterReader, _ name: String, dim: Int, eps: Float) {
        weight = p("\(name).weight", shape: [dim]).toF32()
        bias = p("\(name).bias", shape: [dim]).toF32()
        self.eps = eps
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { x.layerNorm(eps: eps, weight: weight, bias: bias) }
}

extension Tensor {
    /// Adaptive LayerNorm modulation: LN(x)·(1 + scale) + shift, with scale/shift broadcast over tokens.
    public func modulatedLayerNorm(eps: Float, shift: Tensor, scale: Tensor) -> Tensor {
        let n = layerNorm(eps: eps)
        return n * (scale + 1) + shift
    }
}
