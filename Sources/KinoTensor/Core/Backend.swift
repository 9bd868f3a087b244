import Synchronization

/// The seam between model code and hardware. Models call `Tensor`'s operations; each forwards to the active
/// backend, so a GPU backend plugs in by implementing this protocol and no model branches on the device (the
/// split of ggml's backend interface and of mlx's primitives). Tensors stay the storage type: a backend that
/// keeps data on a device converts at its boundary. The CPU backend (oneDNN/OpenBLAS GEMM, Kino's kernels on
/// `Parallel`'s threads) is the one implementation in this build.
public protocol ComputeBackend: Sendable {
    var device: Device { get }
    /// What runs, for logs and benchmark reports.
    var summary: String { get }

    func linear(_ x: Tensor, _ weight: Tensor, bias: Tensor?) -> Tensor
    func matmul(_ a: Tensor, _ b: Tensor) -> Tensor
    func attention(query: Tensor, key: Tensor, value: Tensor, scale: Float?) -> Tensor
    func softmax(_ x: Tensor) -> Tensor
    func layerNorm(_ x: Tensor, eps: Float, weight: Tensor?, bias: Tensor?) -> Tensor
    func rmsNorm(_ x: Tensor, eps: Float, weight: Tensor?) -> Tensor
    func rotary(_ x: Tensor, cos: Tensor, sin: Tensor) -> Tensor
    func binary(_ op: BinaryOp, _ a: Tensor, _ b: Tensor) -> Tensor
    func activation(_ kind: Activation, _ x: Tensor) -> Tensor
    func conv3d(_ x: Tensor, weight: Tensor, bias: Tensor?, stride: (Int, Int, Int), padding: Padding3D) -> Tensor
    func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor?, stride: (Int, Int),
                padding: (top: Int, bottom: Int, left: Int, right: Int)) -> Tensor
    func causalConv3d(_ x: Tensor, previous: Tensor?, taps: Tensor, kernel: (Int, Int, Int), bias: Tensor?, front: Int,
                      padH: Int, padW: Int) -> Tensor
    func channelRMSNorm(_ x: Tensor, gamma: Tensor, silu: Bool) -> Tensor
    func pointwiseConv(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor
}

/// Where compute can run.
public enum Device: String, Sendable, CaseIterable, Codable {
    case cpu
    case cuda
}

/// Elementwise activations a backend provides.
public enum Activation: Sendable {
    case gelu, geluTanh, silu
}

public enum ComputeError: Error, CustomStringConvertible, Equatable {
    case unavailable(Device, String)

    public var description: String {
        switch self {
        case .unavailable(let device, let reason): "--device \(device.rawValue) is not available: \(reason)"
        }
    }
}

/// The active backend and the CPU thread count: what commands set from `--device` and `--threads`.
public enum Compute {
    private static let active = Mutex<any ComputeBackend>(CPUBackend())

    public static var backend: any ComputeBackend { active.withLock { $0 } }

    /// Makes `device` the backend every following operation runs on; throws, saying why, when this build or
    /// machine cannot run it.
    public static func use(_ device: Device) throws(ComputeError) {
        switch device {
        case .cpu: active.withLock { $0 = CPUBackend() }
        case .cuda: throw .unavailable(.cuda, "the CUDA backend is not part of this build; use --device cpu")
        }
    }

    /// Installs a backend built elsewhere (a GPU backend's module, a test's recording wrapper).
    public static func install(_ backend: any ComputeBackend) {
        active.withLock { $0 = backend }
    }

    /// CPU worker threads (default: the active cores, or `KINO_THREADS`).
    public static var threads: Int {
        get { Parallel.threads }
        set { Parallel.threads = newValue }
    }
}

/// Kino's CPU kernels.
public struct CPUBackend: ComputeBackend {
    public init() {}

    public var device: Device { .cpu }
    public var summary: String { "CPU: oneDNN/OpenBLAS GEMM and Kino's kernels on \(Parallel.threads) threads" }

    public func linear(_ x: Tensor, _ weight: Tensor, bias: Tensor?) -> Tensor { x.cpuLinear(weight, bias: bias) }
    public func matmul(_ a: Tensor, _ b: Tensor) -> Tensor { a.cpuMatmul(b) }
    public func attention(query: Tensor, key: Tensor, value: Tensor, scale: Float?) -> Tensor {
        Tensor.cpuAttention(query: query, key: key, value: value, scale: scale)
    }
    public func softmax(_ x: Tensor) -> Tensor { x.cpuSoftmax() }
    public func layerNorm(_ x: Tensor, eps: Float, weight: Tensor?, bias: Tensor?) -> Tensor { x.cpuLayerNorm(eps: eps, weight: weight, bias: bias) }
    public func rmsNorm(_ x: Tensor, eps: Float, weight: Tensor?) -> Tensor { x.cpuRMSNorm(eps: eps, weight: weight) }
    public func rotary(_ x: Tensor, cos: Tensor, sin: Tensor) -> Tensor { x.cpuRotary(cos: cos, sin: sin) }
    public func binary(_ op: BinaryOp, _ a: Tensor, _ b: Tensor) -> Tensor { a.cpuBinary(op, b) }
    public func activation(_ kind: Activation, _ x: Tensor) -> Tensor {
        switch kind {
        case .gelu: x.cpuGelu()
        case .geluTanh: x.cpuGeluTanh()
        case .silu: x.cpuSilu()
        }
    }
    public func conv3d(_ x: Tensor, weight: Tensor, bias: Tensor?, stride: (Int, Int, Int), padding: Padding3D) -> Tensor {
        x.cpuConv3d(weight: weight, bias: bias, stride: stride, padding: padding)
    }
    public func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor?, stride: (Int, Int),
                padding: (top: Int, bottom: Int, left: Int, right: Int)) -> Tensor {
        x.cpuConv2d(weight: weight, bias: bias, stride: stride, padding: padding)
    }
    public func causalConv3d(_ x: Tensor, previous: Tensor?, taps: Tensor, kernel: (Int, Int, Int), bias: Tensor?, front: Int,
                      padH: Int, padW: Int) -> Tensor {
        x.cpuCausalConv3d(previous: previous, taps: taps, kernel: kernel, bias: bias, front: front, padH: padH, padW: padW)
    }
    public func channelRMSNorm(_ x: Tensor, gamma: Tensor, silu: Bool) -> Tensor { x.cpuChannelRMSNorm(gamma: gamma, silu: silu) }
    public func pointwiseConv(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor { x.cpuPointwiseConv(weight: weight, bias: bias) }
}

/// The operations models call, each on the active backend (shapes and semantics are the CPU kernels').
extension Tensor {
    /// x·Wᵀ + b over the last axis: self [..., K], weight [N, K] (f32, f16 or bf16), bias [N] -> [..., N].
    public func linear(_ weight: Tensor, bias: Tensor? = nil) -> Tensor { Compute.backend.linear(self, weight, bias: bias) }
    /// Batched matrix product over the last two axes.
    public func matmul(_ other: Tensor) -> Tensor { Compute.backend.matmul(self, other) }
    /// Scaled dot-product attention over [B, N, H, D] tensors (scale nil: 1/√D).
    public static func attention(query: Tensor, key: Tensor, value: Tensor, scale: Float? = nil) -> Tensor {
        Compute.backend.attention(query: query, key: key, value: value, scale: scale)
    }
    /// Softmax over the last axis.
    public func softmax() -> Tensor { Compute.backend.softmax(self) }
    public func layerNorm(eps: Float, weight: Tensor? = nil, bias: Tensor? = nil) -> Tensor {
        Compute.backend.layerNorm(self, eps: eps, weight: weight, bias: bias)
    }
    public func rmsNorm(eps: Float, weight: Tensor? = nil) -> Tensor { Compute.backend.rmsNorm(self, eps: eps, weight: weight) }
    /// Rotary embedding of [B, N, H, D] with per-position tables.
    public func applyingRotary(cos: Tensor, sin: Tensor) -> Tensor { Compute.backend.rotary(self, cos: cos, sin: sin) }
    /// Broadcasting elementwise arithmetic.
    public func binary(_ op: BinaryOp, _ other: Tensor) -> Tensor { Compute.backend.binary(op, self, other) }
    public func gelu() -> Tensor { Compute.backend.activation(.gelu, self) }
    public func geluTanh() -> Tensor { Compute.backend.activation(.geluTanh, self) }
    public func silu() -> Tensor { Compute.backend.activation(.silu, self) }
    public func conv3d(weight: Tensor, bias: Tensor?, stride: (Int, Int, Int) = (1, 1, 1), padding: Padding3D = Padding3D()) -> Tensor {
        Compute.backend.conv3d(self, weight: weight, bias: bias, stride: stride, padding: padding)
    }
    public func conv2d(weight: Tensor, bias: Tensor?, stride: (Int, Int) = (1, 1),
                       padding: (top: Int, bottom: Int, left: Int, right: Int) = (0, 0, 0, 0)) -> Tensor {
        Compute.backend.conv2d(self, weight: weight, bias: bias, stride: stride, padding: padding)
    }
    /// The VAE's stride-1 causal conv3d with a cache of previous frames (see the CPU kernel's notes).
    public func causalConv3d(previous: Tensor?, taps: Tensor, kernel: (Int, Int, Int), bias: Tensor?, front: Int, padH: Int, padW: Int) -> Tensor {
        Compute.backend.causalConv3d(self, previous: previous, taps: taps, kernel: kernel, bias: bias, front: front, padH: padH, padW: padW)
    }
    /// RMS norm over the channel axis of [B, C, ...], times √C·gamma, optionally followed by SiLU.
    public func channelRMSNorm(gamma: Tensor, silu: Bool) -> Tensor { Compute.backend.channelRMSNorm(self, gamma: gamma, silu: silu) }
    /// A 1×1×1 convolution: weight [Cout, Cin], bias [Cout].
    public func pointwiseConv(weight: Tensor, bias: Tensor?) -> Tensor { Compute.backend.pointwiseConv(self, weight: weight, bias: bias) }
}
