import KinoMedia
import KinoModels
import KinoPipeline

/// Why a clip could not be made, worded for the person who asked.
public enum ClipRenderError: Error, CustomStringConvertible, Equatable {
    /// The request cannot be rendered as given (bad size, unknown style, a remix source that does not fit…).
    case invalid(String)
    /// `isCancelled` turned true: a user cancelled or the process is shutting down.
    case cancelled
    /// The data folder's signing identity could not be loaded or an MP4 could not be signed.
    case signing(String)

    public var description: String {
        switch self {
        case .invalid(let message): message
        case .cancelled: "the render was cancelled"
        case .signing(let message): message
        }
    }

    /// The one place engine cancellation becomes the render's: every layer (denoising loop, transformer blocks,
    /// VAE chunks, the encoder) throws Swift's `CancellationError` from wherever it noticed `isCancelled`.
    static func map(_ error: any Error) -> any Error {
        switch error {
        case is CancellationError: ClipRenderError.cancelled
        case PipelineError.invalidRequest(let message): ClipRenderError.invalid(message)
        default: error
        }
    }
}
