import CEdgeSupport
import EdgeFormat

/// A fused activation, applied in a producer's epilogue while its output is still in cache.
/// The record's `FusedActivation` itself (its scalar `apply` is in EdgeFormat); the
/// runtime adds the in-place loops.
public typealias Activation = FusedActivation

extension FusedActivation {
    /// Applies the activation in place, with the C shim's vector code (the same the GEMM
    /// and depthwise stores run on their registers: edge_activation.h).
    public func apply(_ p: UnsafeMutablePointer<Float>, count: Int) {
        guard kind != .none else { return }
        var act = c
        edge_epilogue_apply(p, count, 0, nil, &act)
    }

    /// The C shim's form of this activation (kinds share their raw values).
    var c: edge_activation {
        edge_activation(kind: Int(kind.rawValue), alpha: alpha, beta: beta)
    }

    /// In place: `FloatVector`'s lanes at a time through `vector`, the tail through `scalar`.
    @inline(__always)
    static func lanes(_ p: UnsafeMutablePointer<Float>, _ count: Int,
                      _ vector: (FloatVector) -> FloatVector, _ scalar: (Float) -> Float) {
        var i = 0
        while i + FloatVector.scalarCount <= count {
            let raw = UnsafeMutableRawPointer(p + i)
            raw.storeBytes(of: vector(raw.loadUnaligned(as: FloatVector.self)), as: FloatVector.self)
            i += FloatVector.scalarCount
        }
        while i < count {
            p[i] = scalar(p[i])
            i += 1
        }
    }
}
