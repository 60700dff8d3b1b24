import RecbenchCore

/// A module owns parameters and lists them for the optimizer.
public protocol Module: AnyObject {
    var parameters: [Parameter] { get }
    /// Parameters that weight decay leaves alone (biases, layer-norm gains and shifts).
    var noDecay: [Parameter] { get }
}

/// y = x · W + b, W stored in × out.
public final class Linear: Module {
    public let weight: Parameter, bias: Parameter
    public init(_ name: String, _ inputs: Int, _ outputs: Int, rng: inout RandomSource) {
        weight = Parameter("\(name).weight", Shape(inputs, outputs)); bias = Parameter("\(name).bias", Shape(outputs))
        weight.fillXavier(rng: &rng)
    }
    public func callAsFunction(_ g: Graph, _ x: Tensor) -> Tensor {
        g.addBias(g.matmul(x, g.parameter(weight)), g.parameter(bias))
    }
    public var parameters: [Parameter] { [weight, bias] }
    public var noDecay: [Parameter] { [bias] }
}

public final class LayerNorm: Module {
    public let gain: Parameter, shift: Parameter
    public let epsilon: Float
    public init(_ name: String, _ dim: Int, epsilon: Float = 1e-5) {
        gain = Parameter("\(name).gain", Shape(dim)); shift = Parameter("\(name).shift", Shape(dim))
        gain.fill(1); self.epsilon = epsilon
    }
    public func callAsFunction(_ g: Graph, _ x: Tensor) -> Tensor {
        g.layerNorm(x, gain: g.parameter(gain), shift: g.parameter(shift), epsilon: epsilon)
    }
    public var parameters: [Parameter] { [gain, shift] }
    public var noDecay: [Parameter] { [gain, shift] }
}

/// One pre-norm transformer block: x + Drop(MHA(LN(x))), then x + Drop(FFN(LN(x))) with a GELU
/// feed-forward. Pre-norm keeps deep stacks trainable without warm-up.
public final class TransformerBlock: Module {
    public let heads: Int, dropout: Float
    let norm1: LayerNorm, norm2: LayerNorm
    let query: Linear, key: Linear, value: Linear, output: Linear
    let inner: Linear, outer: Linear

    public init(_ name: String, dim: Int, heads: Int, innerSize: Int, dropout: Float, rng: inout RandomSource) {
        precondition(dim % heads == 0, "embedding size \(dim) is not a multiple of heads \(heads)")
        self.heads = heads; self.dropout = dropout
        norm1 = LayerNorm("\(name).norm1", dim); norm2 = LayerNorm("\(name).norm2", dim)
        query = Linear("\(name).query", dim, dim, rng: &rng); key = Linear("\(name).key", dim, dim, rng: &rng)
        value = Linear("\(name).value", dim, dim, rng: &rng); output = Linear("\(name).output", dim, dim, rng: &rng)
        inner = Linear("\(name).inner", dim, innerSize, rng: &rng);
        outer = Linear("\(name).outer", innerSize, dim, rng: &rng)
    }

    /// x: B × L × D; keyValid: B·L flags (0 = padding key).
    public func callAsFunction(_ g: Graph, _ x: Tensor, keyValid: UnsafeBufferPointer<Int32>, causal: Bool) -> Tensor {
        let d = x.shape.d2
        let h = norm1(g, x)
        let q = query(g, h), k = key(g, h), v = value(g, h)
        let s = g.attentionScores(q, k, heads: heads, scale: 1 / Float(d / heads).squareRoot())
        let p = g.dropout(g.maskedSoftmax(s, heads: heads, causal: causal, keyValid: keyValid), dropout)
        let a = output(g, g.attentionApply(p, v, heads: heads))
        let x1 = g.add(x, g.dropout(a, dropout))
        let f = outer(g, g.dropout(g.gelu(inner(g, norm2(g, x1))), dropout))
        return g.add(x1, g.dropout(f, dropout))
    }

    var modules: [Module] { [norm1, query, key, value, output, norm2, inner, outer] }
    public var parameters: [Parameter] { modules.flatMap(\.parameters) }
    public var noDecay: [Parameter] { modules.flatMap(\.noDecay) }
}

/// A stack of blocks and a final layer norm: the encoder SASRec (causal) and BERT4Rec
/// (bidirectional) share.
public final class TransformerEncoder: Module {
    public let blocks: [TransformerBlock]
    let finalNorm: LayerNorm
    public init(dim: Int, blocks: Int, heads: Int, innerSize: Int, dropout: Float, rng: inout RandomSource) {
        self.blocks = (0..<blocks).map {
            TransformerBlock("block\($0)", dim: dim, heads: heads, innerSize: innerSize, dropout: dropout, rng: &rng)
        }
        finalNorm = LayerNorm("final", dim)
    }
    public func callAsFunction(_ g: Graph, _ x: Tensor, keyValid: UnsafeBufferPointer<Int32>, causal: Bool) -> Tensor {
        var h = x
        for b in blocks { h = b(g, h, keyValid: keyValid, causal: causal) }
        return finalNorm(g, h)
    }
    public var parameters: [Parameter] { blocks.flatMap(\.parameters) + finalNorm.parameters }
    public var noDecay: [Parameter] { blocks.flatMap(\.noDecay) + finalNorm.noDecay }
}
