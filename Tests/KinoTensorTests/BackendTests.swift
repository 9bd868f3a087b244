import Synchronization
import Testing
@testable import KinoTensor

/// The backend seam: every model-facing operation reaches the installed backend, and an unavailable device is
/// refused with the reason.
@Suite(.serialized) struct BackendTests {
    /// Wraps the CPU backend and counts what reaches it.
    final class Recording: ComputeBackend {
        let cpu = CPUBackend()
        let calls = Mutex<[String]>([])
        var device: Device { .cpu }
        var summary: String { "recording" }
        func note(_ name: String) { calls.withLock { $0.append(name) } }
        func linear(_ x: Tensor, _ weight: Tensor, bias: Tensor?) -> Tensor { note("linear"); return cpu.linear(x, weight, bias: bias) }
        func matmul(_ a: Tensor, _ b: Tensor) -> Tensor { note("matmul"); return cpu.matmul(a, b) }
        func attention(query: Tensor, key: Tensor, value: Tensor, scale: Float?) -> Tensor {
            note("attention"); return cpu.attention(query: query, key: key, value: value, scale: scale)
        }
        func softmax(_ x: Tensor) -> Tensor { note("softmax"); return cpu.softmax(x) }
        func layerNorm(_ x: Tensor, eps: Float, weight: Tensor?, bias: Tensor?) -> Tensor { note("layerNorm"); return cpu.layerNorm(x, eps: eps, weight: weight, bias: bias) }
        func rmsNorm(_ x: Tensor, eps: Float, weight: Tensor?) -> Tensor { note("rmsNorm"); return cpu.rmsNorm(x, eps: eps, weight: weight) }
        func rotary(_ x: Tensor, cos: Tensor, sin: Tensor) -> Tensor { note("rotary"); return cpu.rotary(x, cos: cos, sin: sin) }
        func binary(_ op: BinaryOp, _ a: Tensor, _ b: Tensor) -> Tensor { note("binary"); return cpu.binary(op, a, b) }
        func activation(_ kind: Activation, _ x: Tensor) -> Tensor { note("activation"); return cpu.activation(kind, x) }
        func conv3d(_ x: Tensor, weight: Tensor, bias: Tensor?, stride: (Int, Int, Int), padding: Padding3D) -> Tensor {
            note("conv3d"); return cpu.conv3d(x, weight: weight, bias: bias, stride: stride, padding: padding)
        }
        func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor?, stride: (Int, Int), padding: (top: Int, bottom: Int, left: Int, right: Int)) -> Tensor {
            note("conv2d"); return cpu.conv2d(x, weight: weight, bias: bias, stride: stride, padding: padding)
        }
        func causalConv3d(_ x: Tensor, previous: Tensor?, taps: Tensor, kernel: (Int, Int, Int), bias: Tensor?, front: Int, padH: Int, padW: Int) -> Tensor {
            note("causalConv3d"); return cpu.causalConv3d(x, previous: previous, taps: taps, kernel: kernel, bias: bias, front: front, padH: padH, padW: padW)
        }
        func channelRMSNorm(_ x: Tensor, gamma: Tensor, silu: Bool) -> Tensor { note("channelRMSNorm"); return cpu.channelRMSNorm(x, gamma: gamma, silu: silu) }
        func pointwiseConv(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor { note("pointwiseConv"); return cpu.pointwiseConv(x, weight: weight, bias: bias) }
    }

    @Test func operationsRunOnTheInstalledBackend() {
        let recording = Recording()
        Compute.install(recording)
        defer { Compute.install(CPUBackend()) }
        var g = SeededGenerator(seed: 5)
        let x = Tensor.randomNormal([1, 4, 2, 8], using: &g), w = Tensor.randomNormal([8, 8], using: &g)
        _ = x.linear(w)
        _ = Tensor.attention(query: x, key: x, value: x)
        _ = (x + x).silu().rmsNorm(eps: 1e-6)
        let seen = Set(recording.calls.withLock { $0 })
        #expect(seen.isSuperset(of: ["linear", "attention", "binary", "activation", "rmsNorm"]))
        #expect(Compute.backend.summary == "recording")
    }

    @Test func cudaIsRefusedWithTheReason() {
        #expect(throws: ComputeError.unavailable(.cuda, "the CUDA backend is not part of this build; use --device cpu")) {
            try Compute.use(.cuda)
        }
        #expect(throws: Never.self) { try Compute.use(.cpu) }
        #expect(Compute.backend.device == .cpu)
    }
}
