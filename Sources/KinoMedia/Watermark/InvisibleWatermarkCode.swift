import Foundation

/// The error-correcting code under the invisible watermark: 64 payload bits, a CRC-16 over them, then a
/// convolutional code (constraint length 7, rate 1/3, the LTE generators 133/171/165 octal) terminated with six
/// zero tail bits, decoded with a soft-decision Viterbi decoder.
///
/// 64 + 16 + 6 = 86 trellis steps give 258 coded bits; the layout spreads each coded bit over many cells.
enum WatermarkCode {
    static let payloadBits = 64
    static let crcBits = 16
    static let messageBits = payloadBits + crcBits
    static let constraintLength = 7
    static let generators: [UInt8] = [0o133, 0o171, 0o165]
    static let tailBits = constraintLength - 1
    static let codedBits = (messageBits + tailBits) * generators.count  // 258

    /// Payload bits, most significant first: key serial then video serial.
    static func bits(of payload: WatermarkPayload) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(payloadBits)
        for word in [payload.keySerial, payload.videoSerial] {
            for i in (0..<32).reversed() { out.append(UInt8((word >> UInt32(i)) & 1)) }
        }
        return out
    }

    static func payload(from bits: ArraySlice<UInt8>) -> WatermarkPayload {
        var words: [UInt32] = [0, 0]
        for (i, b) in bits.prefix(payloadBits).enumerated() { words[i / 32] = (words[i / 32] << 1) | UInt32(b) }
        return WatermarkPayload(keySerial: words[0], videoSerial: words[1])
    }

    /// CRC-16/CCITT-FALSE (polynomial 0x1021, initial value 0xFFFF) over a bit string, as 16 bits.
    static func crc16(_ bits: ArraySlice<UInt8>) -> [UInt8] {
        var v: UInt16 = 0xFFFF
        for b in bits {
            let top = UInt8(v >> 15)
            v <<= 1
            if top ^ b != 0 { v ^= 0x1021 }
        }
        return (0..<16).map { UInt8((v >> UInt16(15 - $0)) & 1) }
    }

    /// payload + CRC: the 80 message bits.
    static func message(for payload: WatermarkPayload) -> [UInt8] {
        let p = bits(of: payload)
        return p + crc16(p[...])
    }

    /// The 258 coded bits (0/1) for 80 message bits.
    static func encode(_ message: [UInt8]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(codedBits)
        var state: UInt8 = 0
        for b in message + [UInt8](repeating: 0, count: tailBits) {
            state = ((state << 1) | b) & 0x7F
            for g in generators { out.append(UInt8((state & g).nonzeroBitCount & 1)) }
        }
        return out
    }

    /// Soft-decision Viterbi: `soft[i] > 0` favours coded bit i = 1. Returns the 80 message bits of the
    /// terminated path with the largest correlation.
    static func decode(_ soft: [Float]) -> [UInt8] {
        let steps = messageBits + tailBits
        let states = 1 << (constraintLength - 1)
        let n = generators.count
        // outputs[s * 2 + b]: the coded symbols (+1/-1) when input b arrives in state s.
        var outputs = [Float](repeating: 0, count: states * 2 * n)
        for s in 0..<states {
            for b in 0..<2 {
                let full = UInt8(((s << 1) | b) & 0x7F)
                for (k, g) in generators.enumerated() {
                    outputs[(s * 2 + b) * n + k] = (full & g).nonzeroBitCount & 1 == 1 ? 1 : -1
                }
            }
        }
        var metric = [Float](repeating: -.infinity, count: states)
        metric[0] = 0
        var next = [Float](repeating: 0, count: states)
        var history = [UInt8](repeating: 0, count: steps * states)  // predecessor state per step
        for t in 0..<steps {
            for i in 0..<states { next[i] = -.infinity }
            let inputs = t < messageBits ? 2 : 1  // the tail only shifts in zeros
            for s in 0..<states where metric[s] > -.infinity {
                for b in 0..<inputs {
                    var m = metric[s]
                    for k in 0..<n { m += outputs[(s * 2 + b) * n + k] * soft[t * n + k] }
                    let ns = ((s << 1) | b) & (states - 1)
                    if m > next[ns] {
                        next[ns] = m
                        history[t * states + ns] = UInt8(s)
                    }
                }
            }
            swap(&metric, &next)
        }
        var bits = [UInt8](repeating: 0, count: steps)
        var s = 0
        for t in (0..<steps).reversed() {
            bits[t] = UInt8(s & 1)
            s = Int(history[t * states + s])
        }
        return Array(bits[0..<messageBits])
    }
}

/// The false-positive bound behind `WatermarkDetection.pValue`.
///
/// Each layout cell j contributes `z_j = chip_j * e_j`, where `e_j` is the (filtered, weighted) luma evidence
/// read from the frames and `chip_j` is the secret ±1 spreading sign. In a video that carries no Kino watermark,
/// `e_j` does not depend on the secret signs, so the signs of the `z_j` are independent fair coins. For one fixed
/// codeword `c`, `T = sum_j c(j) z_j / sqrt(sum_j z_j^2)` is then a Rademacher sum and Hoeffding's inequality
/// gives `P(T >= t) <= exp(-t^2 / 2)`. The decoder picks its codeword after looking at the data, so the bound is
/// taken over every codeword it could output, all 2^80 messages (union bound): `p = min(1, 2^80 * exp(-T^2 / 2))`.
/// The CRC is not counted: requiring it to hold as well divides the real false-positive rate by another 2^16.
/// This is conservative (the true false-positive rate is lower), and needs no model of the video content.
enum WatermarkStatistics {
    /// ln(p) for the score `t`, never above 0.
    static func logPValue(score t: Double) -> Double {
        guard t > 0, t.isFinite else { return 0 }
        return min(0, Double(WatermarkCode.messageBits) * log(2.0) - t * t / 2)
    }
}
