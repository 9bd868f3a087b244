import Foundation
import KinoTensor

/// A flow-matching sampler: the model predicts velocity v at (sample, timestep); `step` moves the sample to
/// the next sigma. Schedules follow diffusers exactly (float64 schedule arithmetic rounded to f32), so runs
/// can be compared with diffusers step by step.
public protocol FlowScheduler: Sendable {
    /// The value passed to the transformer at each step (0...1000).
    var timesteps: [Float] { get }
    /// Noise levels, one more than steps (the last is the final level, 0).
    var sigmas: [Float] { get }
    /// Advances `sample` by one step given the model's velocity prediction for it.
    mutating func step(velocity: Tensor, sample: Tensor) -> Tensor
    /// Starts the schedule at step `index` instead of 0 (image-to-image / remix: SDEdit).
    mutating func begin(at index: Int)
}

extension SchedulerConfiguration {
    /// A fresh scheduler for `steps` denoising steps; `noise` feeds the stochastic step-distill sampler.
    public func makeScheduler(steps: Int, noise: StepNoise = .generator(SeededGenerator(seed: 0))) -> any FlowScheduler {
        switch kind {
        case .euler: FlowMatchEulerScheduler(configuration: self, steps: steps)
        case .unipc: UniPCFlowScheduler(configuration: self, steps: steps)
        case .stepDistill, .stepDistillDeterministic:
            StepDistillScheduler(list: stepList ?? StepDistillScheduler.defaultList(steps: steps), shift: shift,
                                 trainTimesteps: numTrainTimesteps, stochastic: kind == .stepDistill, noise: noise)
        }
    }
}

/// diffusers' `FlowMatchEulerDiscreteScheduler` (static shift). Its trap, reproduced on purpose: the shift is
/// applied to the training sigmas at construction and again to the inference sigmas.
public struct FlowMatchEulerScheduler: FlowScheduler {
    public let timesteps: [Float]
    public let sigmas: [Float]
    private var index = 0

    public init(configuration c: SchedulerConfiguration, steps: Int) {
        let n = Double(c.numTrainTimesteps), s = c.shift
        func shifted32(_ x: Float) -> Float { Float(s) * x / (1 + Float(s - 1) * x) }
        let sigmaMax = Double(shifted32(1))
        let sigmaMin = Double(shifted32(Float(1 / n)))
        var sig: [Float] = []
        for i in 0..<steps {
            let t = steps == 1 ? sigmaMax * n : sigmaMax * n + (sigmaMin * n - sigmaMax * n) * Double(i) / Double(steps - 1)
            let sigma = t / n
            sig.append(Float(s * sigma / (1 + (s - 1) * sigma)))
        }
        timesteps = sig.map { $0 * Float(n) }
        sigmas = sig + [0]
    }

    public mutating func begin(at index: Int) { self.index = index }

    public mutating func step(velocity: Tensor, sample: Tensor) -> Tensor {
        let dt = sigmas[index + 1] - sigmas[index]
        index += 1
        var out = sample
        out.addScaled(velocity, by: dt)
        return out
    }
}

/// diffusers' `UniPCMultistepScheduler` with `prediction_type="flow_prediction"` and `use_flow_sigmas=True`
/// (Wan's default sampler): a multistep predictor (UniP) with a corrector (UniC), bh1/bh2 variants.
public struct UniPCFlowScheduler: FlowScheduler {
    public let timesteps: [Float]
    public let sigmas: [Float]
    private let configuration: SchedulerConfiguration
    private var modelOutputs: [Tensor?]
    private var lastSample: Tensor?
    private var lowerOrderNums = 0
    private var thisOrder = 1
    private var index = 0

    public init(configuration c: SchedulerConfiguration, steps: Int) {
        let n = Double(c.numTrainTimesteps)
        var sig: [Double] = (0..<steps).map { i in
            // np.linspace(1, 1/n, steps + 1)[:-1]
            1 + (1 / n - 1) * Double(i) / Double(steps)
        }
        sig = sig.map { c.shift * $0 / (1 + (c.shift - 1) * $0) }
        if let first = sig.first, abs(first - 1) < 1e-6 { sig[0] -= 1e-6 }
        timesteps = sig.map { Float(Int64($0 * n)) }
        let last: Double = c.finalSigmasType == "sigma_min" ? (sig.last ?? 0) : 0
        sigmas = (sig + [last]).map { Float($0) }
        configuration = c
        modelOutputs = Array(repeating: nil, count: c.solverOrder)
    }

    public mutating func begin(at index: Int) { self.index = index }

    @inline(__always) private func lambda(_ sigma: Float) -> Float { Foundation.log(1 - sigma) - Foundation.log(sigma) }

    public mutating func step(velocity: Tensor, sample: Tensor) -> Tensor {
        let c = configuration
        let converted = sample - velocity * sigmas[index]                 // x0 prediction
        var current = sample
        let useCorrector = index > 0 && !c.disableCorrector.contains(index - 1) && lastSample != nil
        if useCorrector, let last = lastSample {
            current = corrector(modelT: converted, lastSample: last, order: thisOrder)
        }
        for i in 0..<(c.solverOrder - 1) { modelOutputs[i] = modelOutputs[i + 1] }
        modelOutputs[c.solverOrder - 1] = converted
        let order = c.lowerOrderFinal ? min(c.solverOrder, timesteps.count - index) : c.solverOrder
        thisOrder = min(order, lowerOrderNums + 1)
        lastSample = current
        let next = predictor(sample: current, order: thisOrder)
        if lowerOrderNums < c.solverOrder { lowerOrderNums += 1 }
        index += 1
        return next
    }

    /// hφ coefficients shared by predictor and corrector: (h_phi_1, B_h, b list, hh).
    private func coefficients(h: Float, order: Int) -> (hPhi1: Float, bH: Float, b: [Float]) {
        let hh = -h
        let hPhi1 = Foundation.expm1(hh)
        var hPhiK = hPhi1 / hh - 1
        var factorial: Float = 1
        let bH = configuration.solverType == "bh1" ? hh : Foundation.expm1(hh)
        var b: [Float] = []
        for i in 1...max(order, 1) {
            b.append(hPhiK * factorial / bH)
            factorial *= Float(i + 1)
            hPhiK = hPhiK / hh - 1 / factorial
        }
        return (hPhi1, bH, b)
    }

    private func predictor(sample x: Tensor, order: Int) -> Tensor {
        let i = index
        let sigmaT = sigmas[i + 1], sigmaS0 = sigmas[i]
        let alphaT = 1 - sigmaT
        let lambdaS0 = lambda(sigmaS0)
        let h = lambda(sigmaT) - lambdaS0
        guard let m0 = modelOutputs.last ?? nil else { return x }
        var (rks, d1s) = differences(order: order, m0: m0, lambdaS0: lambdaS0, h: h) { i - $0 }
        rks.append(1)
        let (hPhi1, bH, b) = coefficients(h: h, order: order)
        var out = x * (sigmaT / sigmaS0)
        out.addScaled(m0, by: -alphaT * hPhi1)
        if !d1s.isEmpty {
            let rhos: [Float] = order == 2 ? [0.5] : Self.solve(Self.powers(Array(rks.dropLast()), order - 1), Array(b.prefix(order - 1)))
            for (rho, d) in zip(rhos, d1s) { out.addScaled(d, by: -alphaT * bH * rho) }
        }
        return out
    }

    private func corrector(modelT: Tensor, lastSample x: Tensor, order: Int) -> Tensor {
        let i = index
        let sigmaT = sigmas[i], sigmaS0 = sigmas[i - 1]
        let alphaT = 1 - sigmaT
        let lambdaS0 = lambda(sigmaS0)
        let h = lambda(sigmaT) - lambdaS0
        guard let m0 = modelOutputs.last ?? nil else { return x }
        var (rks, d1s) = differences(order: order, m0: m0, lambdaS0: lambdaS0, h: h) { i - ($0 + 1) }
        rks.append(1)
        let (hPhi1, bH, b) = coefficients(h: h, order: order)
        let rhos: [Float] = order == 1 ? [0.5] : Self.solve(Self.powers(rks, order), Array(b.prefix(order)))
        var out = x * (sigmaT / sigmaS0)
        out.addScaled(m0, by: -alphaT * hPhi1)
        for (rho, d) in zip(rhos.dropLast(), d1s) { out.addScaled(d, by: -alphaT * bH * rho) }
        out.addScaled(modelT - m0, by: -alphaT * bH * (rhos.last ?? 0))
        return out
    }

    /// The ratios r_k = (λ(σ_k) - λ_s0) / h and scaled differences (m_k - m0) / r_k of the older model outputs,
    /// where `sigmaIndex(k)` is the schedule index of the output k steps back.
    private func differences(order: Int, m0: Tensor, lambdaS0: Float, h: Float, sigmaIndex: (Int) -> Int) -> ([Float], [Tensor]) {
        var rks: [Float] = [], d1s: [Tensor] = []
        guard order > 1 else { return (rks, d1s) }
        for k in 1..<order {
            guard let mk = modelOutputs[modelOutputs.count - 1 - k] else { continue }
            let rk = (lambda(sigmas[sigmaIndex(k)]) - lambdaS0) / h
            rks.append(rk)
            d1s.append((mk - m0) * (1 / rk))
        }
        return (rks, d1s)
    }

    /// R[p][k] = rks[k]^p for p in 0..<n.
    private static func powers(_ rks: [Float], _ n: Int) -> [[Float]] {
        (0..<n).map { p in rks.prefix(n).map { Foundation.pow($0, Float(p)) } }
    }

    /// Solves A·x = b by Gaussian elimination with partial pivoting (n ≤ 3).
    private static func solve(_ a: [[Float]], _ b: [Float]) -> [Float] {
        var m = a, v = b
        let n = v.count
        for col in 0..<n {
            let pivot = (col..<n).max { abs(m[$0][col]) < abs(m[$1][col]) } ?? col
            m.swapAt(col, pivot)
            v.swapAt(col, pivot)
            for row in (col + 1)..<max(n, col + 1) where row < n {
                let f = m[row][col] / m[col][col]
                for k in col..<n { m[row][k] -= f * m[col][k] }
                v[row] -= f * v[col]
            }
        }
        var x = [Float](repeating: 0, count: n)
        for row in stride(from: n - 1, through: 0, by: -1) {
            var s = v[row]
            for k in (row + 1)..<n { s -= m[row][k] * x[k] }
            x[row] = s / m[row][row]
        }
        return x
    }
}
