import Foundation
import KinoModels
import KinoTensor

/// Turns a prompt into token ids the text encoder reads: Wan's cleaning, SentencePiece, EOS, truncation.
public protocol PromptTokenizer: Sendable {
    /// The real (unpadded) token ids of `prompt`, at most `maxLength` long, ending in EOS.
    func tokenize(_ prompt: String, maxLength: Int) throws -> [Int]
}

/// The VAE seen from the pipeline.
public protocol LatentCodec: Sendable {
    var latentChannels: Int { get }
    var temporalFactor: Int { get }
    var spatialFactor: Int { get }
    /// Pipeline latents (normalised) -> video [1, 3, F, H, W] in [-1, 1], in spatial tiles as `tiling` says.
    func decode(_ latents: Tensor, tiling: WanVAE.TilingChoice, progress: (Int, Int) -> Void, isCancelled: () -> Bool) throws -> Tensor
    /// Video [1, 3, F, H, W] in [-1, 1] -> normalised latents.
    func encode(_ video: Tensor, isCancelled: () -> Bool) throws -> Tensor
}

/// What the pipeline reports while it works.
public enum PipelineEvent: Sendable, Equatable {
    case encodingPrompt
    case denoising(step: Int, of: Int)
    case decoding(chunk: Int, of: Int)
    case finished
}

/// Errors from generation requests, worded for the person who made the request.
public enum PipelineError: Error, CustomStringConvertible, Equatable {
    case invalidRequest(String)

    public var description: String {
        switch self {
        case .invalidRequest(let message): message
        }
    }
}
