/// A unigram language model over pieces (SentencePiece "unigram", as in T5/umT5): Viterbi over the piece scores.
///
/// Matches Hugging Face tokenizers' `Unigram` (the reference): a character no piece covers becomes an unknown
/// node scored `min(score) - 10`; runs of consecutive unknown nodes are fused into one `unk` token; among paths
/// with equal scores the first one found wins (earlier start, then shorter piece).
struct UnigramModel: Sendable {
    let pieces: [String]
    let scores: [Double]
    let unkId: Int
    private let unknownScore: Double
    /// A trie over the pieces' scalars: edges (node << 21 | scalar) -> child node; the piece id ending at a node.
    private var edges: [UInt64: Int32] = [:]
    private var pieceAtNode: [Int32] = [-1]
    private let idsByPiece: [String: Int]

    init(pieces: [(String, Double)], unkId: Int, source: String) throws {
        guard !pieces.isEmpty else { throw TokenizerError.invalidFile(source, "the unigram vocabulary is empty") }
        guard unkId >= 0, unkId < pieces.count else {
            throw TokenizerError.invalidFile(source, "unk_id \(unkId) is outside the \(pieces.count)-piece vocabulary")
        }
        self.pieces = pieces.map(\.0)
        self.scores = pieces.map(\.1)
        self.unkId = unkId
        self.unknownScore = (scores.min() ?? 0) - 10
        var ids: [String: Int] = [:]
        for (id, piece) in self.pieces.enumerated() { ids[piece] = id }  // the last duplicate wins, as in HF
        self.idsByPiece = ids
        edges.reserveCapacity(pieces.count * 2)
        for (id, piece) in self.pieces.enumerated() { insert(piece, id: id) }
    }

    var count: Int { pieces.count }

    func id(of piece: String) -> Int? { idsByPiece[piece] }

    private static func edge(_ node: Int, _ scalar: Unicode.Scalar) -> UInt64 {
        UInt64(node) << 21 | UInt64(scalar.value)
    }

    private mutating func insert(_ piece: String, id: Int) {
        var node = 0
        for scalar in piece.unicodeScalars {
            let key = Self.edge(node, scalar)
            if let next = edges[key] {
                node = Int(next)
            } else {
                pieceAtNode.append(-1)
                let child = pieceAtNode.count - 1
                edges[key] = Int32(child)
                node = child
            }
        }
        if node != 0 { pieceAtNode[node] = Int32(id) }
    }

    /// Token ids of one pre-tokenised word.
    func encode(_ word: String) -> [Int] {
        let s = Array(word.unicodeScalars)
        guard !s.isEmpty else { return [] }
        // best[i]: the best path covering s[0..<i]; its last token spans s[start[i]..<i].
        var bestScore = [Double](repeating: 0, count: s.count + 1)
        var start = [Int](repeating: -1, count: s.count + 1)
        var token = [Int](repeating: -1, count: s.count + 1)
        start[0] = 0
        for i in 0..<s.count where start[i] >= 0 {
            let base = bestScore[i]
            var hasSingle = false
            var node = 0
            var j = i
            while j < s.count, let next = edges[Self.edge(node, s[j])] {
                node = Int(next)
                j += 1
                let id = Int(pieceAtNode[node])
                guard id >= 0 else { continue }
                let candidate = base + scores[id]
                if start[j] < 0 || candidate > bestScore[j] {
                    bestScore[j] = candidate
                    start[j] = i
                    token[j] = id
                }
                if j == i + 1 { hasSingle = true }
            }
            if !hasSingle {
                let candidate = base + unknownScore
                if start[i + 1] < 0 || candidate > bestScore[i + 1] {
                    bestScore[i + 1] = candidate
                    start[i + 1] = i
                    token[i + 1] = unkId
                }
            }
        }
        var reversed: [Int] = []
        var end = s.count
        var previousWasUnknown = false
        while end > 0 {
            let id = token[end]
            if id == unkId {
                if !previousWasUnknown { reversed.append(id) }
                previousWasUnknown = true
            } else {
                reversed.append(id)
                previousWasUnknown = false
            }
            end = start[end]
        }
        return reversed.reversed()
    }
}
