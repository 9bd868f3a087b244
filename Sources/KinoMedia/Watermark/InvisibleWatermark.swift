import Foundation

/// What the invisible watermark carries: who made a video and which one it is.
public struct WatermarkPayload: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// Serial of the API key that created the video (0: local `kino generate`).
    public var keySerial: UInt32
    /// Serial of the video in its data folder (0: local `kino generate`).
    public var videoSerial: UInt32

    public init(keySerial: UInt32, videoSerial: UInt32) {
        self.keySerial = keySerial
        self.videoSerial = videoSerial
    }

    /// What `kino generate` embeds.
    public static let local = WatermarkPayload(keySerial: 0, videoSerial: 0)

    public var description: String { "key_serial=\(keySerial) video_serial=\(videoSerial)" }
}

/// A watermark found in a clip, with how sure the detector is.
public struct WatermarkDetection: Sendable, Equatable {
    public var payload: WatermarkPayload
    /// Probability that a clip *without* a Kino watermark scores at least this high (a conservative bound; see
    /// `InvisibleWatermark`). Underflows to 0 for strong marks; `log10PValue` keeps the exponent.
    public var pValue: Double
    /// log10 of `pValue` (e.g. -42 for p = 1e-42).
    public var log10PValue: Double
    /// `1 - pValue`.
    public var confidence: Double { 1 - pValue }
    /// The detection score T (normalised correlation with the decoded codeword); p <= 2^80 * exp(-T^2 / 2).
    public var score: Double
    /// How many frames were read.
    public var frameCount: Int
}

/// Everything the detector concluded about a clip, found or not (for benchmarks and diagnostics).
public struct WatermarkReading: Sendable, Equatable {
    /// The decoder's best guess, whether or not it is trustworthy.
    public var payload: WatermarkPayload
    /// Whether the decoded CRC-16 matches the decoded payload.
    public var checksumValid: Bool
    public var score: Double
    public var log10PValue: Double
    public var frameCount: Int
    /// Fraction of the 258 coded bits whose hard decision agrees with the re-encoded decoded message
    /// (about 0.5 without a watermark, 1 for a clean one).
    public var codedBitAgreement: Double

    /// A detection: the checksum holds and p < `InvisibleWatermark.pValueThreshold`.
    public var detection: WatermarkDetection? {
        guard checksumValid, log10PValue < log10(InvisibleWatermark.pValueThreshold) else { return nil }
        return WatermarkDetection(payload: payload, pValue: pow(10, log10PValue), log10PValue: log10PValue,
                                  score: score, frameCount: frameCount)
    }
}

/// Kino's invisible watermark: 64 bits (key serial, video serial) hidden in the luma of every frame, meant to
/// survive re-encoding and resizing, so a leaked clip can be traced to the key that made it.
///
/// Embedding: the payload gets a CRC-16 and a rate-1/3 convolutional code (258 coded bits, `WatermarkCode`);
/// each coded bit is spread with secret ±1 signs over ~63 cells of a 128x128 grid laid over the frame relative
/// to its size (`WatermarkLayout`); the cell pattern is interpolated bilinearly to the frame size and added
/// with amplitude `strength` (in 8-bit levels) to R, G and B alike, so only luma changes. Every frame gets the
/// same pattern.
///
/// Detection: luma is averaged over the same grid in every frame, high-pass filtered on the grid and weighted by
/// the inverse local variance, summed over frames, despread, and Viterbi-decoded. The p-value is a conservative
/// Hoeffding + union bound over all 2^80 messages (`WatermarkStatistics`); a detection needs the CRC to hold and
/// p < 1e-6. Frames need at least 128 pixels on each side to be read.
public enum InvisibleWatermark {
    /// The fixed secret seed of the layout. Changing it makes every earlier watermark unreadable.
    static let secretSeed: UInt64 = 0x4B49_4E4F_5741_544D  // "KINOWATM"
    /// Amplitude of the pattern in 8-bit levels (peak; about 42 dB PSNR on typical content).
    public static let strength: Float = 3.0
    /// A clip counts as watermarked only below this p-value.
    public static let pValueThreshold = 1e-6
    /// The smallest frame side the detector reads.
    public static let minimumSide = max(WatermarkLayout.columns, WatermarkLayout.rows)

    /// Adds the watermark for `payload` to every frame. Runs on GCD threads and blocks; call it from a thread
    /// that may block (the export path does).
    public static func embed(_ frames: inout VideoFrames, payload: WatermarkPayload) {
        embed(&frames, payload: payload, strength: strength)
    }

    static func embed(_ frames: inout VideoFrames, payload: WatermarkPayload, strength: Float) {
        guard frames.frameCount > 0 else { return }
        let coded = WatermarkCode.encode(WatermarkCode.message(for: payload))
        let cells = WatermarkLayout.standard.pattern(coded: coded)
        let delta = WatermarkLayout.upsample(cells, width: frames.width, height: frames.height).map { $0 * strength }
        let plane = frames.width * frames.height
        let count = frames.frameCount
        frames.pixels.withUnsafeMutableBufferPointer { px in
            let base = UnsafeSendable(px.baseAddress)
            DispatchQueue.concurrentPerform(iterations: count) { f in
                guard let p = base.value.map({ $0 + f * plane * 3 }) else { return }
                for i in 0..<plane {
                    let d = delta[i]
                    for c in 0..<3 {
                        let v = (Float(p[i * 3 + c]) + d).rounded()
                        p[i * 3 + c] = UInt8(max(0, min(255, v)))
                    }
                }
            }
        }
    }

    /// The watermark in `frames`, or nil when there is none (or the frames are smaller than `minimumSide`).
    /// Any subset of a watermarked clip's frames, at any size, can be read; more frames make it surer.
    public static func detect(_ frames: VideoFrames) -> WatermarkDetection? {
        read(frames).detection
    }

    /// The decoder's full result (best-guess payload, checksum, score), detected or not.
    public static func read(_ frames: VideoFrames) -> WatermarkReading {
        let layout = WatermarkLayout.standard
        let n = WatermarkCode.codedBits
        var reading = WatermarkReading(payload: .local, checksumValid: false, score: 0, log10PValue: 0,
                                     frameCount: frames.frameCount, codedBitAgreement: 0.5)
        guard frames.frameCount > 0, frames.width >= WatermarkLayout.columns, frames.height >= WatermarkLayout.rows
        else { return reading }
        let evidence = WatermarkLayout.evidence(frames)
        var soft = [Double](repeating: 0, count: n)
        var norm = 0.0
        for j in 0..<WatermarkLayout.cellCount {
            let z = Double(evidence[j] * layout.chips[j])
            soft[Int(layout.assignment[j])] += z
            norm += z * z
        }
        norm = norm.squareRoot()
        guard norm > 0, norm.isFinite else { return reading }
        let meanMagnitude = soft.reduce(0) { $0 + abs($1) } / Double(n)
        let message = WatermarkCode.decode(soft.map { Float($0 / max(meanMagnitude, 1e-30)) })
        let coded = WatermarkCode.encode(message)
        var correlation = 0.0, agree = 0
        for i in 0..<n {
            let sign: Double = coded[i] == 1 ? 1 : -1
            correlation += sign * soft[i]
            if sign * soft[i] > 0 { agree += 1 }
        }
        let score = correlation / norm
        reading.payload = WatermarkCode.payload(from: message[0..<WatermarkCode.payloadBits])
        reading.checksumValid = WatermarkCode.crc16(message[0..<WatermarkCode.payloadBits])
            == Array(message[WatermarkCode.payloadBits...])
        reading.score = score
        reading.log10PValue = WatermarkStatistics.logPValue(score: score) / log(10)
        reading.codedBitAgreement = Double(agree) / Double(n)
        return reading
    }
}
